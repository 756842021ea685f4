using Microsoft.AspNetCore.Components.Server.Circuits;
using OpenTelemetry.Metrics;
using Portal.Api.Auth;
using Portal.Core.Auth;
using Portal.Core.Observability;

namespace Portal.Observability;

public static class MetricsExtensions
{
    /// <summary>Scrape path of the Prometheus exporter.</summary>
    public const string Path = "/metrics";

    /// <summary>Who may scrape: an Admin, authenticated as the REST API is (HTTP Basic or a bearer token).</summary>
    public const string Policy = "PortalMetrics";

    /// <summary>
    /// OpenTelemetry metrics with a Prometheus exporter: the portal's own meter (<see cref="PortalMetrics"/>), ASP.NET
    /// Core's request, connection and Blazor meters, and the .NET runtime's. Open circuits are counted by a circuit handler.
    /// </summary>
    public static WebApplicationBuilder AddPortalMetrics(this WebApplicationBuilder builder)
    {
        builder.Services.AddOpenTelemetry().WithMetrics(m => m
            .AddMeter(PortalMetrics.MeterName)
            .AddMeter("Microsoft.AspNetCore.Hosting", "Microsoft.AspNetCore.Server.Kestrel", "Microsoft.AspNetCore.Components",
                "Microsoft.AspNetCore.Components.Server.Circuits", "System.Runtime")
            // No response cache: a scrape right after an operation sees it (Prometheus scrapes every 15 s or so anyway).
            .AddPrometheusExporter(o => o.ScrapeResponseCacheDurationMilliseconds = 0));
        builder.Services.AddScoped<CircuitHandler, CircuitMetricsHandler>();
        builder.Services.AddAuthorizationBuilder().AddPolicy(Policy, p => p
            .AddAuthenticationSchemes(ApiAuthenticationHandler.SchemeName)
            .RequireAuthenticatedUser()
            .RequireRole(Roles.Admin));
        return builder;
    }

    /// <summary>GET <c>/metrics</c> in Prometheus' text format, for Admins only (401 without credentials, 403 for other roles).</summary>
    public static WebApplication MapPortalMetrics(this WebApplication app)
    {
        app.MapPrometheusScrapingEndpoint(Path).RequireAuthorization(Policy);
        return app;
    }
}

/// <summary>Counts the circuits open now (one per browser tab connected to the portal).</summary>
internal sealed class CircuitMetricsHandler(PortalMetrics metrics) : CircuitHandler
{
    public override Task OnCircuitOpenedAsync(Circuit circuit, CancellationToken cancellationToken)
    {
        metrics.CircuitOpened();
        return Task.CompletedTask;
    }

    public override Task OnCircuitClosedAsync(Circuit circuit, CancellationToken cancellationToken)
    {
        metrics.CircuitClosed();
        return Task.CompletedTask;
    }
}
