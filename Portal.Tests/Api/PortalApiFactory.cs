using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Xml.Linq;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Portal.Core.Auth;
using Portal.Core.Persistence;

namespace Portal.Tests.Api;

/// <summary>
/// The real portal (embedded libvirt test driver, SQLite) in a fresh data folder, with an admin, a Helpdesk user
/// and a user with no role. Dispose it to stop the app and delete the folder.
/// </summary>
public sealed class PortalApiFactory : WebApplicationFactory<Program>, IAsyncLifetime
{
    public const string AdminPassword = "Admin-pass-2026";
    public const string HelpdeskUser = "helen";
    public const string HelpdeskPassword = "Helpdesk-pass-2026";
    public const string NoRoleUser = "norole";
    public const string NoRolePassword = "Norole-pass-2026";

    public static readonly Guid WebFrontend = Guid.Parse("5a1e0c52-0d3b-4a5e-9c51-2f0a7b1e0001");
    public static readonly Guid DbPrimary = Guid.Parse("5a1e0c52-0d3b-4a5e-9c51-2f0a7b1e0002");
    public static readonly Guid BuildAgent = Guid.Parse("5a1e0c52-0d3b-4a5e-9c51-2f0a7b1e0003");
    public static readonly Guid KioskStateless = Guid.Parse("5a1e0c52-0d3b-4a5e-9c51-2f0a7b1e0004");
    public static readonly Guid GpuRender = Guid.Parse("5a1e0c52-0d3b-4a5e-9c51-2f0a7b1e0005");
    public static readonly Guid LegacyErp = Guid.Parse("5a1e0c52-0d3b-4a5e-9c51-2f0a7b1e0006");
    public static readonly Guid LegacyReports = Guid.Parse("5a1e0c52-0d3b-4a5e-9c51-2f0a7b1e0007");

    public PortalApiFactory() : this(Directory.CreateTempSubdirectory("portal-api-").FullName)
    {
    }

    private PortalApiFactory(string dataDirectory) => DataDirectory = dataDirectory;

    public string DataDirectory { get; }

    /// <summary>Leave the data folder when disposed, so that <see cref="Reopen"/> can start the portal on it again.</summary>
    public bool KeepDataOnDispose { get; set; }

    /// <summary>
    /// The portal again on an existing data folder (a restart: same database and key ring). Do not call
    /// <see cref="InitializeAsync"/> on it: its users exist already.
    /// </summary>
    public static PortalApiFactory Reopen(string dataDirectory) => new(dataDirectory);

    /// <summary>The same portal on a real Kestrel socket (loopback, free port): real WebSockets, real header handling.</summary>
    public static PortalApiFactory OnKestrel()
    {
        var app = new PortalApiFactory();
        app.UseKestrel(0);
        return app;
    }

    /// <summary>Where the app listens: the test server's address, or Kestrel's real one.</summary>
    public Uri BaseAddress => Services.GetRequiredService<Microsoft.AspNetCore.Hosting.Server.IServer>()
        .Features.Get<Microsoft.AspNetCore.Hosting.Server.Features.IServerAddressesFeature>()?.Addresses.FirstOrDefault() is { } a
        ? new Uri(a) : Server.BaseAddress;

    /// <summary>Every log entry the app wrote (level, category, message, exception).</summary>
    public LogSink Logs { get; } = new();

    /// <summary>More configuration (e.g. <c>Security:RevalidationInterval</c>), set before the app starts.</summary>
    public Dictionary<string, string?> Settings { get; } = [];

    /// <summary>Every libvirt connection of the app wrapped for fault injection; set before the app starts.</summary>
    /// <remarks>Default: null, the real connections as they are.</remarks>
    public Support.FaultInjectingConnections? Connections { get; init; }

    /// <summary>
    /// When set, opening a libvirt connection waits until it is set (a slow host): start-up stays short of ready, and
    /// the app is handed over without waiting for readiness. Set before the app starts.
    /// </summary>
    public ManualResetEventSlim? HostOpeningGate { get; set; }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        if (HostOpeningGate is { } gate)
            builder.ConfigureServices(s =>
            {
                var real = s.Single(d => d.ServiceType == typeof(Portal.Core.Hosts.HypervisorFactory));
                s.Remove(real);
                s.AddSingleton<Portal.Core.Hosts.HypervisorFactory>(sp =>
                {
                    var open = (Portal.Core.Hosts.HypervisorFactory)real.ImplementationFactory!(sp);
                    // libvirt's open blocks its own thread too; this one is never a request's.
                    return uri => { gate.Wait(TimeSpan.FromMinutes(2)); return open(uri); };
                });
            });
        builder.UseSetting("Portal:DataDirectory", DataDirectory);
        builder.UseSetting("Portal:AdminPassword", AdminPassword);
        foreach (var (key, value) in Support.TestDatabase.SettingsFor(DataDirectory)) builder.UseSetting(key, value);
        foreach (var (key, value) in Settings) builder.UseSetting(key, value);
        // The test server has no remote address; a test may name one, to act as a client elsewhere on the network.
        builder.ConfigureServices(s => s.AddSingleton<Microsoft.AspNetCore.Hosting.IStartupFilter, ClientAddressFilter>());
        builder.ConfigureLogging(l => l.AddProvider(Logs));
        if (Connections is { } connections)
            builder.ConfigureTestServices(s =>
            {
                var real = s.Single(d => d.ServiceType == typeof(Portal.Core.Hosts.HypervisorFactory));
                s.Remove(real);
                s.AddSingleton<Portal.Core.Hosts.HypervisorFactory>(sp => connections.Wrap((Portal.Core.Hosts.HypervisorFactory)real.ImplementationFactory!(sp)));
            });
    }

    /// <summary>
    /// The portal listens before its host is reconciled (start-up goes on in the background); the tests act on VMs at
    /// once, so the app is handed over ready, as a deployment's readiness probe (<c>/healthz/ready</c>) would.
    /// </summary>
    protected override IHost CreateHost(IHostBuilder builder)
    {
        var host = base.CreateHost(builder);
        if (HostOpeningGate is not null) return host;
        // CreateHost is synchronous; this is test set-up, once per app.
        host.Services.GetRequiredService<Portal.Core.PortalReadiness>().WhenReady.WaitAsync(TimeSpan.FromMinutes(2)).GetAwaiter().GetResult();
        return host;
    }

    /// <summary>Starts the app (initialization, first admin) and adds the other users.</summary>
    public async ValueTask InitializeAsync()
    {
        using var scope = Services.CreateScope();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<PortalUser>>();
        await CreateUserAsync(users, HelpdeskUser, HelpdeskPassword, Roles.Helpdesk);
        await CreateUserAsync(users, NoRoleUser, NoRolePassword, role: null);
    }

    public static async Task CreateUserAsync(UserManager<PortalUser> users, string name, string password, string? role)
    {
        var user = new PortalUser { UserName = name, EmailConfirmed = true };
        var created = await users.CreateAsync(user, password);
        Assert.True(created.Succeeded, string.Join(" ", created.Errors.Select(e => e.Description)));
        if (role is not null) Assert.True((await users.AddToRoleAsync(user, role)).Succeeded);
    }

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        if (KeepDataOnDispose) return;
        Support.TestDatabase.Drop(DataDirectory);
        try { Directory.Delete(DataDirectory, recursive: true); }
        catch (IOException) { }
    }

    public HttpClient Anonymous(bool json = false) => Client(null, json);

    public HttpClient Admin(bool json = false) => Client(("admin@internal", AdminPassword), json);

    public HttpClient Helpdesk(bool json = false) => Client((HelpdeskUser + "@internal", HelpdeskPassword), json);

    public HttpClient Client((string User, string Password)? basic, bool json = false)
    {
        var client = CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, BaseAddress = BaseAddress });
        client.DefaultRequestHeaders.Accept.Add(new MediaTypeWithQualityHeaderValue(json ? "application/json" : "application/xml"));
        if (basic is { } b)
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{b.User}:{b.Password}")));
        return client;
    }

    /// <summary>A client with a bearer token from the token endpoint (cheaper than Basic, which hashes the password each call).</summary>
    public async Task<HttpClient> BearerAsync(string user, string password, bool json = false)
    {
        var token = await TokenAsync(user, password);
        var client = Client(null, json);
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    public async Task<string> TokenAsync(string user, string password)
    {
        using var anonymous = Anonymous(json: true);
        var response = await anonymous.PostAsync("/ovirt-engine/sso/oauth/token", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "password", ["username"] = user, ["password"] = password, ["scope"] = "ovirt-app-api",
        }));
        Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
        using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return doc.RootElement.GetProperty("access_token").GetString()!;
    }

    public async Task<(int Snapshots, int MemoryVolumes, int AuditEntries)> CountRowsAsync()
    {
        await using var db = await Services.GetRequiredService<IDbContextFactory<PortalDbContext>>().CreateDbContextAsync();
        // Sign-ins are audited too (a client's first Basic call, a token); they are not changes to what the portal manages.
        return (await db.Snapshots.CountAsync(), await db.MemoryVolumes.CountAsync(),
            await db.AuditEntries.CountAsync(e => e.Operation != Portal.Auth.SignInGuard.Operation && e.Operation != Portal.Auth.SignInGuard.SignOutOperation));
    }
}

/// <summary>Sets the connection's remote address from the test-only header <c>X-Test-Client-Address</c>.</summary>
internal sealed class ClientAddressFilter : Microsoft.AspNetCore.Hosting.IStartupFilter
{
    public const string Header = "X-Test-Client-Address";

    public Action<Microsoft.AspNetCore.Builder.IApplicationBuilder> Configure(Action<Microsoft.AspNetCore.Builder.IApplicationBuilder> next) => app =>
    {
        app.Use(async (context, inner) =>
        {
            if (context.Request.Headers[Header].ToString() is { Length: > 0 } a) context.Connection.RemoteIpAddress = System.Net.IPAddress.Parse(a);
            await inner(context);
        });
        next(app);
    };
}

/// <summary>Keeps the app's log entries, for tests that check what was logged (a warning, not an error with a stack trace).</summary>
public sealed class LogSink : Microsoft.Extensions.Logging.ILoggerProvider
{
    public sealed record Entry(Microsoft.Extensions.Logging.LogLevel Level, string Category, string Message, Exception? Exception);

    private readonly System.Collections.Concurrent.ConcurrentQueue<Entry> _entries = new();

    public IReadOnlyList<Entry> Entries => [.. _entries];

    public Microsoft.Extensions.Logging.ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose() { }

    private sealed class Logger(LogSink sink, string category) : Microsoft.Extensions.Logging.ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(Microsoft.Extensions.Logging.LogLevel logLevel) => logLevel >= Microsoft.Extensions.Logging.LogLevel.Information;

        public void Log<TState>(Microsoft.Extensions.Logging.LogLevel logLevel, Microsoft.Extensions.Logging.EventId eventId, TState state, Exception? exception,
            Func<TState, Exception?, string> formatter)
        {
            if (IsEnabled(logLevel)) sink._entries.Enqueue(new Entry(logLevel, category, formatter(state, exception), exception));
        }
    }
}
