using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.FileProviders;
using MudBlazor;
using MudBlazor.Services;
using Portal.Api;
using Portal.Auth;
using Portal.Components;
using Portal.Consoles;
using Portal.Observability;
using Portal.Core;
using Portal.Core.Auth;
using Portal.Core.Hypervisor;
using Portal.Core.Persistence;
using Portal.Users;

namespace Portal;

public static class PortalWebExtensions
{
    /// <summary>Blazor, MudBlazor, Identity with the Admin and Helpdesk roles, and the login cookie.</summary>
    public static WebApplicationBuilder AddPortalWeb(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        // Package assets (MudBlazor, the Blazor script) resolve from the build output in every environment, not only
        // Development; a published portal carries its own copies and this is then a no-op.
        builder.WebHost.UseStaticWebAssets();
        services.AddRazorComponents().AddInteractiveServerComponents();
        services.AddMudServices(c =>
        {
            c.SnackbarConfiguration.PositionClass = Defaults.Classes.Position.BottomRight;
            c.SnackbarConfiguration.VisibleStateDuration = 6000;
        });
        services.AddCascadingAuthenticationState();
        services.AddAuthentication(IdentityConstants.ApplicationScheme).AddIdentityCookies();
        services.AddPortalIdentity();
        services.ConfigureApplicationCookie(o =>
        {
            o.LoginPath = "/account/login";
            // A signed-in user without the role a page needs is told so; sending them to the login form would loop.
            o.AccessDeniedPath = "/access-denied";
            o.Cookie.Name = "portal.auth";
            o.Cookie.HttpOnly = true;
            o.Cookie.SameSite = SameSiteMode.Strict;
        });
        services.AddAuthorizationBuilder()
            .SetFallbackPolicy(new Microsoft.AspNetCore.Authorization.AuthorizationPolicyBuilder().RequireAuthenticatedUser().Build());
        // Sign-in cookies survive a restart: the key ring lives in the (owner-only) data folder.
        var dataDirectory = builder.Configuration[$"{PortalOptions.Section}:{nameof(PortalOptions.DataDirectory)}"] ?? "data";
        services.AddDataProtection().PersistKeysToFileSystem(new DirectoryInfo(Path.Combine(dataDirectory, "keys")));
        services.AddScoped<CurrentActor>();
        services.AddPortalSecurity();
        services.AddScoped<OperationRunner>();
        services.AddSingleton<UserAdministration>();
        services.AddPortalApi();
        builder.AddPortalMetrics();
        return builder;
    }

    /// <summary>Identity's user and role stores on the portal database, with the portal's password and lockout rules.</summary>
    public static IdentityBuilder AddPortalIdentity(this IServiceCollection services) =>
        services.AddIdentityCore<PortalUser>(o =>
            {
                // Throttling: five wrong passwords lock the account for a minute.
                o.Lockout.MaxFailedAccessAttempts = 5;
                o.Lockout.DefaultLockoutTimeSpan = TimeSpan.FromMinutes(1);
                o.Lockout.AllowedForNewUsers = true;
                o.Password.RequiredLength = 8;
                o.Password.RequireNonAlphanumeric = false;
            })
            .AddRoles<IdentityRole>()
            .AddEntityFrameworkStores<PortalDbContext>()
            .AddSignInManager();

    public static WebApplication UsePortalWeb(this WebApplication app)
    {
        app.UseSecurityHeaders();
        if (!app.Environment.IsDevelopment()) app.UseExceptionHandler("/Error", createScopeForErrors: true);
        app.UseStatusCodePagesWithReExecute("/not-found", createScopeForStatusCodePages: true);
        app.MapPortalApi();

        // Only wwwroot-assets is served as files; memory dumps live in storage pools and are never reachable over HTTP.
        var assets = Path.Combine(AppContext.BaseDirectory, "wwwroot-assets");
        if (Directory.Exists(assets)) app.UseStaticFiles(new StaticFileOptions { FileProvider = new PhysicalFileProvider(assets) });

        app.UseAuthentication();
        app.UseAuthorization();
        app.UseAntiforgery();
        app.MapStaticAssets().AllowAnonymous();
        app.MapAccountEndpoints();
        app.MapConsoleEndpoints();
        app.MapHealthEndpoint();
        app.MapPortalMetrics();
        app.MapRazorComponents<App>().AddInteractiveServerRenderMode();
        return app;
    }

    /// <summary>Initializes the portal (one clear sentence on failure), creates the first admin, then serves.</summary>
    public static async Task<int> RunPortalAsync(this WebApplication app)
    {
        try
        {
            await PortalStartup.InitializeAsync(app.Services);
            await AdminBootstrap.EnsureAdminAsync(app.Services);
        }
        catch (PortalStartupException ex)
        {
            await Console.Error.WriteLineAsync($"Portal cannot start: {ex.Message}");
            return 2;
        }
        await app.RunAsync();
        return 0;
    }

    private static void MapHealthEndpoint(this WebApplication app) =>
        app.MapGet("/healthz", async (IServiceProvider sp, CancellationToken ct) =>
        {
            bool dbUp, libvirtUp;
            try
            {
                await using var db = await sp.GetRequiredService<Microsoft.EntityFrameworkCore.IDbContextFactory<PortalDbContext>>().CreateDbContextAsync(ct);
                dbUp = await db.Database.CanConnectAsync(ct);
            }
            catch (Exception) { dbUp = false; }
            try { libvirtUp = await sp.GetRequiredService<IHypervisor>().IsAliveAsync(ct); }
            catch (Exception) { libvirtUp = false; }
            var body = new { status = dbUp && libvirtUp ? "healthy" : "unhealthy", database = dbUp ? "up" : "down", libvirt = libvirtUp ? "up" : "down" };
            return Results.Json(body, statusCode: dbUp && libvirtUp ? 200 : 503);
        }).AllowAnonymous();
}
