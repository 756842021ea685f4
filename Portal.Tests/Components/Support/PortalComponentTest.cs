using Bunit;
using Bunit.TestDoubles;
using Microsoft.AspNetCore.Components;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using MudBlazor;
using MudBlazor.Services;
using Portal.Auth;
using Portal.Core;
using Portal.Core.Auth;
using Portal.Core.Commands;
using Portal.Core.Snapshots;
using Portal.Tests.Support;

namespace Portal.Tests.Components.Support;

/// <summary>
/// bUnit with MudBlazor (loose JS interop, zero transition times) over the real portal core: a fresh data folder,
/// the libvirt test driver with the demo VMs, a migrated SQLite file. The signed-in user is an Admin unless a test
/// says otherwise with <see cref="SignInAs"/>.
/// </summary>
public abstract class PortalComponentTest : BunitContext, IAsyncLifetime
{
    private readonly string _dataDirectory = Path.Combine(Path.GetTempPath(), "portal-bunit-" + Guid.NewGuid().ToString("N"));
    private IHost? _backend;

    static PortalComponentTest()
    {
        // Process-wide MudBlazor defaults; every component test wants tooltips that open at once.
        MudGlobal.TooltipDefaults.Delay = TimeSpan.Zero;
        MudGlobal.TooltipDefaults.Duration = TimeSpan.Zero;
    }

    protected PortalComponentTest()
    {
        JSInterop.Mode = JSRuntimeMode.Loose;
        // Waits end on a condition; the long limit only keeps a loaded CI machine from failing a test that would pass.
        DefaultWaitTimeout = TimeSpan.FromSeconds(10);
        Services.AddMudServices(o =>
        {
            o.SnackbarConfiguration.ShowTransitionDuration = 0;
            o.SnackbarConfiguration.HideTransitionDuration = 0;
        });
        Auth = AddAuthorization();
        SignInAs(Roles.Admin);
        // Scoped per circuit in the app (PortalWebExtensions.AddPortalWeb); here per test.
        Services.AddScoped(sp => new CurrentActor(sp.GetRequiredService<Microsoft.AspNetCore.Components.Authorization.AuthenticationStateProvider>(),
            Get<Microsoft.EntityFrameworkCore.IDbContextFactory<Portal.Core.Persistence.PortalDbContext>>(), Get<TimeProvider>()));
        Services.AddScoped<OperationRunner>();
    }

    protected BunitAuthorizationContext Auth { get; }

    /// <summary>The app's singletons (queries, commands, notifier, monitor, locks), after start-up.</summary>
    protected IServiceProvider Backend => _backend?.Services ?? throw new InvalidOperationException("The backend starts in InitializeAsync.");

    protected T Get<T>() where T : notnull => Backend.GetRequiredService<T>();

    /// <summary>
    /// Signs in "admin" (Admin) or "helpdesk" (Helpdesk): a real user row with that role, since commands read the
    /// actor's rights from the database (CurrentActor), and the claims a sign-in cookie carries (id, security stamp).
    /// </summary>
    protected void SignInAs(string role)
    {
        var name = role == Roles.Admin ? "admin" : "helpdesk";
        _signedIn = (name, role);
        var (id, stamp) = _backend is null ? ("bunit-" + name, "bunit-stamp-" + name) : EnsureUser(name, role);
        Auth.SetAuthorized(name).SetRoles(role).SetClaims(
            new System.Security.Claims.Claim(System.Security.Claims.ClaimTypes.NameIdentifier, id),
            new System.Security.Claims.Claim(CurrentActor.SecurityStampClaim, stamp));
    }

    private (string Name, string Role) _signedIn;

    /// <summary>The signed-in user's row and role (unless a test made them already, e.g. with Identity); its id and security stamp.</summary>
    private (string Id, string Stamp) EnsureUser(string name, string role)
    {
        using var db = Get<Microsoft.EntityFrameworkCore.IDbContextFactory<Portal.Core.Persistence.PortalDbContext>>().CreateDbContext();
        foreach (var r in Roles.All)
            if (!db.Roles.Any(x => x.Name == r))
                db.Roles.Add(new Microsoft.AspNetCore.Identity.IdentityRole(r) { NormalizedName = r.ToUpperInvariant() });
        db.SaveChanges();
        if (db.Users.FirstOrDefault(u => u.NormalizedUserName == name.ToUpperInvariant()) is { } existing) return (existing.Id, existing.SecurityStamp!);
        db.Users.Add(new PortalUser { Id = "bunit-" + name, UserName = name, NormalizedUserName = name.ToUpperInvariant(), SecurityStamp = "bunit-stamp-" + name });
        db.UserRoles.Add(new Microsoft.AspNetCore.Identity.IdentityUserRole<string> { UserId = "bunit-" + name, RoleId = db.Roles.Single(x => x.Name == role).Id });
        db.SaveChanges();
        return ("bunit-" + name, "bunit-stamp-" + name);
    }

    public async ValueTask InitializeAsync()
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true, EnvironmentName = "Test" });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["Portal:DataDirectory"] = _dataDirectory });
        builder.Configuration.AddInMemoryCollection(TestDatabase.SettingsFor(_dataDirectory));
        builder.Logging.ClearProviders();
        builder.AddPortalCore();
        _backend = builder.Build();
        // Built, not started: VmMonitor does not act on libvirt events and the background processor does not run, so a
        // status changes only when a test or a command changes it.
        await PortalStartup.InitializeAsync(_backend.Services, Ct);
        SignInAs(_signedIn.Role);
        Services.AddFallbackServiceProvider(_backend.Services);
    }

    protected override async ValueTask DisposeAsyncCore()
    {
        await base.DisposeAsyncCore();
        if (_backend is IAsyncDisposable backend)
        {
            await backend.DisposeAsync();
            SqliteConnection.ClearAllPools();
        }
        TestDatabase.Drop(_dataDirectory);
        try { Directory.Delete(_dataDirectory, recursive: true); }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException) { }
    }

    protected static CancellationToken Ct => Xunit.TestContext.Current.CancellationToken;

    /// <summary>Arranges state the way a user would reach it: a command run by an admin, which must succeed.</summary>
    protected static async Task<CommandResult> AdminRunsAsync<TRequest>(IVmCommand<TRequest> command, TRequest request) where TRequest : IVmRequest
    {
        var result = await command.ExecuteAsync(request, Actor.Admin("admin"), Ct);
        Assert.True(result.Succeeded, $"{command.Operation}: {result.Message}");
        return result;
    }

    /// <summary>A VM of the demo host by name, as the pages see it.</summary>
    protected async Task<VmRow> VmAsync(string name) => (await Get<PortalQueries>().VmsAsync(Ct)).Single(v => v.Name == name);

    /// <summary>A VM as the pages see it now.</summary>
    protected async Task<VmRow> VmAsync(Guid id) => (await Get<PortalQueries>().VmAsync(id, Ct))!;

    /// <summary>Takes a snapshot as an admin and returns its id.</summary>
    protected async Task<Guid> SnapshotAsync(Guid vmId, string description, bool saveMemory) =>
        (await AdminRunsAsync(Get<CreateSnapshotCommand>(), new CreateSnapshotRequest(vmId, description, saveMemory))).ValueAs<Guid>();

    /// <summary>The providers MainLayout renders; dialogs, snackbars and open tooltips appear inside them.</summary>
    protected IRenderedComponent<IComponent> RenderProviders() => Render(b =>
    {
        b.OpenComponent<MudPopoverProvider>(0);
        b.CloseComponent();
        b.OpenComponent<MudDialogProvider>(1);
        b.CloseComponent();
        b.OpenComponent<MudSnackbarProvider>(2);
        b.CloseComponent();
    });

    /// <summary>
    /// Clicks what <paramref name="selector"/> finds in <paramref name="root"/> and awaits its handler. The find and the
    /// click are one step on the renderer's dispatcher: a dialog renders again just after it opens, which gives its
    /// buttons new handler ids, and a button found before that render and clicked after it names a handler that is gone
    /// (bUnit's <c>UnknownEventHandlerIdException</c>). A browser clicks the button as it is when clicked; so does this.
    /// </summary>
    protected static Task ClickAsync<T>(IRenderedComponent<T> root, string selector) where T : IComponent =>
        root.InvokeAsync(() => root.Find(selector).ClickAsync(new()));

    /// <summary>Types <paramref name="value"/> into what <paramref name="selector"/> finds: found and fired in one step, as <see cref="ClickAsync{T}"/>.</summary>
    protected static Task InputAsync<T>(IRenderedComponent<T> root, string selector, object? value) where T : IComponent =>
        root.InvokeAsync(() => root.Find(selector).InputAsync(new ChangeEventArgs { Value = value }));

    /// <summary>Changes what <paramref name="selector"/> finds (a checkbox, a select) to <paramref name="value"/>, in one step as <see cref="ClickAsync{T}"/>.</summary>
    protected static Task ChangeAsync<T>(IRenderedComponent<T> root, string selector, object? value) where T : IComponent =>
        root.InvokeAsync(() => root.Find(selector).ChangeAsync(new ChangeEventArgs { Value = value }));

    /// <summary>Opens a dialog the way the pages do, through <see cref="IDialogService"/>.</summary>
    protected async Task<IDialogReference> ShowDialogAsync<TDialog>(IRenderedComponent<IComponent> providers, DialogParameters<TDialog> parameters)
        where TDialog : IComponent
    {
        var dialogs = Services.GetRequiredService<IDialogService>();
        return await providers.InvokeAsync(() => dialogs.ShowAsync<TDialog>(typeof(TDialog).Name, parameters));
    }
}
