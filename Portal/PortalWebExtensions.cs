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
using Portal.Core.Hosts;
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
            // Each circuit's popover service wakes on this period to detach closed popovers in the browser (0.5 s by
            // default): with 50 idle pages that was 100 wake-ups a second, each paid with the thread pool's spin-wait,
            // and ~40 % of the portal's idle CPU (benchmarks/README.md, "The portal's CPU with idle pages").
            c.PopoverOptions.QueueDelay = TimeSpan.FromSeconds(5);
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
        services.AddHostedService<Portal.Core.Storage.StorageOverviewWarmup>();
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
        // libvirt's open runs beside the building of the pipeline, the database's open and the server's start (the
        // embedded host parses every domain file: 2.3 s at 5,000 VMs); its failure is reported by ConnectHostsAsync.
        app.Services.GetRequiredService<HostConnections>().BeginOpeningPrimary();
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

    /// <summary>
    /// Opens the database and creates the first admin (one clear sentence and exit code 2 on failure), then serves
    /// while the hosts are connected and reconciled in the background (<see cref="PortalStartup.ConnectHostsAsync"/>):
    /// <c>/healthz</c> answers as soon as the portal listens, <c>/healthz/ready</c> once that is done. A host that
    /// cannot be opened still stops the portal with its sentence and exit code 2.
    /// </summary>
    public static async Task<int> RunPortalAsync(this WebApplication app)
    {
        try
        {
            await PortalStartup.OpenDatabaseAsync(app.Services);
            await AdminBootstrap.EnsureAdminAsync(app.Services);
        }
        catch (PortalStartupException ex)
        {
            await Console.Error.WriteLineAsync($"Portal cannot start: {ex.Message}");
            return 2;
        }
        var exitCode = 0;
        var stopping = app.Lifetime.ApplicationStopping;
        var log = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Portal.Startup");
        // Once Kestrel listens: seeding and reconciling the host's VMs. Its connection has been opening since the start
        // (BeginOpeningPrimary in UsePortalWeb); this awaits it.
        app.Lifetime.ApplicationStarted.Register(() => _ = Task.Run(async () =>
        {
            try { await PortalStartup.ConnectHostsAsync(app.Services, stopping); }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested) { }
            catch (PortalStartupException ex)
            {
                await Console.Error.WriteLineAsync($"Portal cannot start: {ex.Message}");
                Volatile.Write(ref exitCode, 2);
                app.Lifetime.StopApplication();
            }
            catch (Exception ex)
            {
                // Nothing else is expected here; a portal that cannot reconcile must not serve commands half-started.
                log.LogCritical(ex, "Start-up failed while connecting and reconciling the hosts");
                Volatile.Write(ref exitCode, 1);
                app.Lifetime.StopApplication();
            }
        }, CancellationToken.None));
        await app.RunAsync();
        return Volatile.Read(ref exitCode);
    }

    /// <summary>
    /// <c>/healthz</c>: live, the process serves and its database answers (200; 503 when the database does not).
    /// <c>/healthz/ready</c>: start-up has connected and reconciled the hosts and recovered interrupted operations, and
    /// the database and the configured host answer (200; 503 with what start-up is doing, or which is down).
    /// Both report the state of each in JSON. See docs/OBSERVABILITY.md.
    /// </summary>
    private static void MapHealthEndpoint(this WebApplication app)
    {
        app.MapGet("/healthz", async (IServiceProvider sp, CancellationToken ct) =>
        {
            var (dbUp, libvirtUp) = await ProbeAsync(sp, ct);
            var readiness = sp.GetRequiredService<PortalReadiness>();
            var body = new
            {
                status = dbUp ? "healthy" : "unhealthy", database = dbUp ? "up" : "down",
                libvirt = libvirtUp ? "up" : readiness.IsReady ? "down" : "connecting", startup = readiness.Phase,
            };
            return Results.Json(body, statusCode: dbUp ? 200 : 503);
        }).AllowAnonymous();
        app.MapGet("/healthz/ready", async (IServiceProvider sp, CancellationToken ct) =>
        {
            var readiness = sp.GetRequiredService<PortalReadiness>();
            var (dbUp, libvirtUp) = await ProbeAsync(sp, ct);
            var ready = readiness.IsReady && dbUp && libvirtUp;
            var body = new
            {
                status = ready ? "ready" : "not ready", database = dbUp ? "up" : "down",
                libvirt = libvirtUp ? "up" : readiness.IsReady ? "down" : "connecting", startup = readiness.Phase,
            };
            return Results.Json(body, statusCode: ready ? 200 : 503);
        }).AllowAnonymous();
    }

    private static async Task<(bool Database, bool Libvirt)> ProbeAsync(IServiceProvider sp, CancellationToken ct)
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
        return (dbUp, libvirtUp);
    }
}
