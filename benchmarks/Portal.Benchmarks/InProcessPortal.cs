using Portal;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Portal.Core;

namespace Portal.Benchmarks;

/// <summary>
/// The real portal hosted in the benchmark's process, built with the real extension methods (AddPortalCore,
/// AddPortalWeb, UsePortalWeb, RunPortalAsync: migrations, seeding, the first admin) on a free loopback port, and
/// handed over once ready (its host opened and reconciled), as a deployment's readiness probe would wait.
/// </summary>
internal static class InProcessPortal
{
    /// <param name="beforeWeb">Middleware to put in front of the portal's own (e.g. a timer), or null.</param>
    /// <param name="services">More services (e.g. a circuit counter), or null.</param>
    public static async Task<(WebApplication App, string BaseUrl)> StartAsync(
        Dictionary<string, string?> settings, string environment = "Production", Action<WebApplication>? beforeWeb = null,
        Action<IServiceCollection>? services = null)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = environment });
        builder.Configuration.AddInMemoryCollection(settings);
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.AddPortalCore();
        builder.AddPortalWeb();
        services?.Invoke(builder.Services);
        var app = builder.Build();
        beforeWeb?.Invoke(app);
        app.UsePortalWeb();
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        app.Lifetime.ApplicationStarted.Register(() => started.TrySetResult());
        var running = app.RunPortalAsync();
        if (await Task.WhenAny(started.Task, running) == running)
            throw new InvalidOperationException($"The portal stopped during start-up with exit code {await running}.");
        // It listens before its host is reconciled; what the benchmarks measure is a ready portal.
        await app.Services.GetRequiredService<PortalReadiness>().WhenReady;
        return (app, app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
    }
}
