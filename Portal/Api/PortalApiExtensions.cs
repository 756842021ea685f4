using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Identity;
using Microsoft.OpenApi;
using Portal.Api.Auth;
using Portal.Api.Endpoints;
using Portal.Api.Model;
using Portal.Core.Auth;
using Portal.Hubs;
using Scalar.AspNetCore;

namespace Portal.Api;

public static class PortalApiExtensions
{
    /// <summary>Endpoints of the API and the hub: the API scheme, and the Admin or Helpdesk role (commands check which).</summary>
    public const string Policy = "PortalApi";

    /// <summary>The default scheme: the API scheme on API and hub paths, the sign-in cookie everywhere else.</summary>
    public const string SelectorScheme = "Portal";

    /// <summary>The REST API (oVirt v4 shapes), its authentication, the events hub and the OpenAPI document.</summary>
    public static IServiceCollection AddPortalApi(this IServiceCollection services)
    {
        services.AddOptions<ApiOptions>().BindConfiguration(ApiOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<ApiTokens>();
        services.AddSingleton<InFlightSnapshots>();
        services.AddSingleton<VmHardwareCache>();
        services.AddHostedService<VmHardwareWarmup>();

        services.AddAuthentication()
            .AddScheme<AuthenticationSchemeOptions, ApiAuthenticationHandler>(ApiAuthenticationHandler.SchemeName, null)
            // Paths with no endpoint of their own (an unknown API path, a wrong method) fall to the default scheme;
            // on API paths it must answer 401 with a fault, never redirect to the login page.
            .AddPolicyScheme(SelectorScheme, null, o => o.ForwardDefaultSelector = http =>
                ApiPaths.IsApi(http.Request.Path) || ApiPaths.IsHub(http.Request.Path) ? ApiAuthenticationHandler.SchemeName : IdentityConstants.ApplicationScheme);
        services.Configure<AuthenticationOptions>(o => o.DefaultScheme = SelectorScheme);
        services.AddAuthorizationBuilder().AddPolicy(Policy, p => p
            .AddAuthenticationSchemes(ApiAuthenticationHandler.SchemeName)
            .RequireAuthenticatedUser()
            .RequireRole(Roles.Admin, Roles.Helpdesk));

        services.AddSignalR();
        services.AddHostedService<HubEventForwarder>();
        services.AddOpenApi("v1", o =>
        {
            o.ShouldInclude = d => d.RelativePath?.StartsWith("ovirt-engine/", StringComparison.OrdinalIgnoreCase) == true;
            o.AddDocumentTransformer((doc, context, _) =>
            {
                doc.Info = new OpenApiInfo
                {
                    Title = "VirtPortal REST API",
                    Version = "v1",
                    Description = "oVirt v4 resource shapes for VMs and RAM snapshots. XML by default; JSON with `Accept: application/json`. " +
                                  "Authenticate with HTTP Basic (`admin@internal`) or a bearer token from `POST /ovirt-engine/sso/oauth/token`. " +
                                  "Errors are `<fault><reason/><detail/></fault>`. `/api` is an alias of `/ovirt-engine/api`. " +
                                  "Live events: the SignalR hub `/hubs/events` (see docs/API.md).",
                };
                // Never the request's Host header (a client can send any): the configured public address, or relative paths.
                var publicUrl = context.ApplicationServices.GetRequiredService<Microsoft.Extensions.Options.IOptions<ApiOptions>>().Value.PublicUrl?.TrimEnd('/');
                doc.Servers = [new OpenApiServer { Url = publicUrl ?? "/", Description = publicUrl is null ? "This portal" : "The portal's public address" }];
                doc.Components ??= new OpenApiComponents();
                doc.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
                doc.Components.SecuritySchemes["basic"] = new OpenApiSecurityScheme
                    { Type = SecuritySchemeType.Http, Scheme = "basic", Description = "user@internal and password" };
                doc.Components.SecuritySchemes["bearer"] = new OpenApiSecurityScheme
                    { Type = SecuritySchemeType.Http, Scheme = "bearer", Description = "access_token from POST /ovirt-engine/sso/oauth/token" };
                doc.Security ??= [];
                doc.Security.Add(new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference("basic", doc)] = [] });
                doc.Security.Add(new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference("bearer", doc)] = [] });
                return Task.CompletedTask;
            });
            // Dates are written as oVirt writes them: milliseconds and an offset.
            o.AddSchemaTransformer((schema, context, _) =>
            {
                if (context.JsonPropertyInfo?.CustomConverter is OvirtDateConverter)
                {
                    schema.Type = JsonSchemaType.String;
                    schema.Format = "date-time";
                    schema.Description = "UTC with milliseconds and an offset, as oVirt writes dates: 2026-12-02T06:28:27.674+00:00 (XML and JSON).";
                }
                return Task.CompletedTask;
            });
        });
        return services;
    }

    /// <summary>
    /// The API under <c>/ovirt-engine/api</c> and <c>/api</c>, the token endpoint, the hub at <c>/hubs/events</c>,
    /// <c>/openapi/v1.json</c> and the reference page <c>/api-reference</c>. Call it before authentication, so its
    /// fault middleware also covers what happens there.
    /// </summary>
    public static WebApplication MapPortalApi(this WebApplication app)
    {
        app.UseMiddleware<ConnectionCloseMiddleware>();
        app.UseMiddleware<ApiFaultMiddleware>();
        foreach (var (prefix, documented) in new[] { (ApiPaths.Base, true), (ApiPaths.Alias, false) })
        {
            var api = app.MapGroup(prefix).RequireAuthorization(Policy);
            if (!documented) api.ExcludeFromDescription();
            api.MapSystemEndpoints();
            api.MapVmEndpoints();
            api.MapSnapshotEndpoints();
            api.MapDataCenterEndpoints();
        }
        app.MapTokenEndpoint();
        app.MapSsoEndpoints();
        app.MapHub<EventsHub>(ApiPaths.Hub).RequireAuthorization(Policy);
        app.MapOpenApi().AllowAnonymous();
        app.MapScalarApiReference("/api-reference", o =>
            {
                o.WithTitle("VirtPortal API reference")
                    .DisableTelemetry()
                    .AddPreferredSecuritySchemes("basic");
                // Offline, as data-center networks often are: the system's fonts rather than the vendor's CDN, and
                // none of the cloud features (Ask AI, MCP, the toolbar's Share / Generate SDK / Deploy).
                o.DefaultFonts = false;
                o.Agent = new ScalarAgentOptions { Disabled = true };
                o.Mcp = new ScalarMcpOptions { Disabled = true };
                o.ShowDeveloperTools = DeveloperToolsVisibility.Never;
                o.HideClientButton = true;
                o.DynamicNonce = true;
            })
            .AllowAnonymous();
        return app;
    }
}
