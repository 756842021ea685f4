using Bunit;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using MudBlazor;
using Portal.Components;
using Portal.Components.Layout;
using Portal.Components.Pages.Shared;
using Portal.Components.Pages.Users;
using Portal.Core.Audit;
using Portal.Core.Auth;
using Portal.Core.Persistence;
using Portal.Tests.Api;
using Portal.Tests.Components.Support;
using Portal.Users;

namespace Portal.Tests.Users;

/// <summary>
/// The Users page over the real user administration: Identity registered as the app does, on the test's SQLite file,
/// with the Admin "admin" (the signed-in user) and the Helpdesk user "helen".
/// </summary>
public sealed class UsersPageTests : PortalComponentTest
{
    private const string Password = "Users-pass-2026";
    private const string Grid = "[data-testid=users-grid]";

    public UsersPageTests()
    {
        // As AddPortalWeb registers them. The backend's services reach bUnit's container only through its fallback,
        // which a DI scope does not consult: what a scope needs from the backend is handed over here.
        Services.AddPortalIdentity();
        Services.AddScoped(_ => Get<IDbContextFactory<PortalDbContext>>().CreateDbContext());
        Services.AddSingleton(sp => new UserAdministration(
            sp.GetRequiredService<IServiceScopeFactory>(), Get<AuditLog>(), Get<TimeProvider>(), NullLogger<UserAdministration>.Instance));
    }

    [Fact]
    public async Task Grid_SeededUsers_ListsEachUserWithItsRole()
    {
        await SeedAsync();

        var cut = Render<UsersPage>();

        cut.WaitForAssertion(() => Assert.Equal("Helpdesk", RoleOf(cut, "helen")));
        Assert.Equal("Admin", RoleOf(cut, "admin"));
        Assert.Equal(["admin", "helen"], cut.FindAll("[data-testid$=-name]").Select(e => e.TextContent.Trim()));
    }

    [Fact]
    public async Task Grid_MoreUsersThanAPage_OnePageOfTheStoredSizeAndTheTotal()
    {
        await SeedAsync();
        await WithUsersAsync(async users =>
        {
            // No password: nothing to hash; the grid lists them all the same.
            for (var i = 0; i < 30; i++) Assert.True((await users.CreateAsync(new PortalUser { UserName = $"user{i:00}" })).Succeeded);
            return true;
        });
        await Get<UserPreferences>().SetPageSizeAsync("admin", "users", 10, Ct);

        var cut = Render<UsersPage>();

        cut.WaitForAssertion(() => Assert.Equal(10, cut.FindAll("tr.user-row").Count));
        Assert.Equal(["admin", "helen", "user00", "user01", "user02", "user03", "user04", "user05", "user06", "user07"],
            cut.FindAll("[data-testid$=-name]").Select(e => e.TextContent.Trim()));
        Assert.Contains("1-10 of 32", cut.Find("[data-testid=users-grid]").TextContent);
    }

    [Fact]
    public async Task Search_PartOfAName_ListsOnlyTheMatchingUsers()
    {
        await SeedAsync();
        var cut = Render<UsersPage>();
        cut.WaitForAssertion(() => Assert.Equal(2, cut.FindAll("tr.user-row").Count));

        cut.Find("input[data-testid=users-search]").Input("HEL");

        cut.WaitForAssertion(() => Assert.Equal(["helen"], cut.FindAll("[data-testid$=-name]").Select(e => e.TextContent.Trim())), TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task AddUserDialog_WeakPassword_ShowsIdentitysReasonAndStaysOpen()
    {
        await SeedAsync();
        var (providers, _) = await OpenAddUserAsync();

        await InputAsync(providers, "[data-testid=add-user-name]", "bob");
        await InputAsync(providers, "[data-testid=add-user-password]", "weakpass");
        await ClickAsync(providers, "[data-testid=add-user-ok]");

        providers.WaitForAssertion(() => Assert.Equal(
            "Passwords must have at least one digit ('0'-'9'). Passwords must have at least one uppercase ('A'-'Z').",
            providers.Find("[data-testid=add-user-error]").TextContent.Trim()));
        Assert.NotEmpty(providers.FindAll("[data-testid=add-user-dialog]"));
        Assert.False(await ExistsAsync("bob"));
    }

    [Fact]
    public async Task AddUserDialog_ValidAdmin_ClosesAndTheGridListsTheNewAdmin()
    {
        await SeedAsync();
        var (providers, page) = await OpenAddUserAsync();

        await InputAsync(providers, "[data-testid=add-user-name]", "bob");
        await InputAsync(providers, "[data-testid=add-user-password]", Password);
        var role = providers.FindComponents<MudSelect<string>>().Single(s => TestId(s) == "add-user-role");
        await role.InvokeAsync(() => role.Instance.SelectOption(Roles.Admin));
        await ClickAsync(providers, "[data-testid=add-user-ok]");

        providers.WaitForAssertion(() => Assert.Empty(providers.FindAll("[data-testid=add-user-dialog]")));
        page.WaitForAssertion(() => Assert.Equal("Admin", RoleOf(page, "bob")));
        Assert.True(await IsInRoleAsync("bob", Roles.Admin));
    }

    [Fact]
    public async Task RoleSelect_HelpdeskToAdmin_StoredAndShown()
    {
        await SeedAsync();
        var providers = RenderProviders();
        var cut = Render<UsersPage>();
        cut.WaitForElement("[data-testid=user-helen-role]");

        await ChooseRoleAsync(cut, "helen", Roles.Admin);

        // Polled here, not inside WaitForAssertion: that runs on the renderer's context, and blocking there on an
        // asynchronous query deadlocked on PostgreSQL (Npgsql's continuation needs the very context it blocks).
        await Portal.Tests.Support.Wait.UntilAsync(() => IsInRoleAsync("helen", Roles.Admin), isAdmin => isAdmin, "helen is an Admin in the database");
        Assert.Equal("Admin", RoleOf(cut, "helen"));
        providers.WaitForAssertion(() => Assert.Contains("Changed the role of 'helen' from Helpdesk to Admin.", providers.Markup));
    }

    [Fact]
    public async Task RoleSelect_LastAdminDemotesThemself_RefusedAndTheSelectShowsAdminAgain()
    {
        await SeedAsync();
        var providers = RenderProviders();
        var cut = Render<UsersPage>();
        cut.WaitForElement("[data-testid=user-admin-role]");

        await ChooseRoleAsync(cut, "admin", Roles.Helpdesk);

        providers.WaitForAssertion(() => Assert.Contains("'admin' is the last Admin.", providers.Markup));
        cut.WaitForAssertion(() => Assert.Equal("Admin", RoleOf(cut, "admin")));
        Assert.True(await IsInRoleAsync("admin", Roles.Admin));
    }

    [Fact]
    public async Task DeleteButton_Confirmed_UserGoneFromGridAndDatabase()
    {
        await SeedAsync();
        var providers = RenderProviders();
        var cut = Render<UsersPage>();
        cut.WaitForElement("[data-testid=user-helen-delete]");

        // The handler waits for the confirmation, so the click is not awaited.
        _ = ClickAsync(cut, "[data-testid=user-helen-delete]");
        providers.WaitForAssertion(() => Assert.Contains("Delete the user 'helen'?", providers.Find("[data-testid=confirm-message]").TextContent));
        await ClickAsync(providers, "[data-testid=confirm-ok]");

        cut.WaitForAssertion(() => Assert.Empty(cut.FindAll("[data-testid=user-helen-name]")));
        Assert.False(await ExistsAsync("helen"));
    }

    [Fact]
    public async Task DeleteButton_OwnRow_DisabledSayingWhy()
    {
        await SeedAsync();

        var cut = Render<UsersPage>();
        cut.WaitForElement("[data-testid=user-admin-delete]");

        var own = cut.Find("[data-testid=user-admin-delete]");
        Assert.True(own.HasAttribute("disabled"));
        Assert.Equal("You cannot delete your own account.", own.GetAttribute("title"));
        Assert.False(cut.Find("[data-testid=user-helen-delete]").HasAttribute("disabled"));
    }

    [Fact]
    public async Task Route_HelpdeskOpensUsers_AccessDeniedInsteadOfTheGridOrTheLoginForm()
    {
        await SeedAsync();
        SignInAs(Roles.Helpdesk);
        var navigation = Services.GetRequiredService<NavigationManager>();
        navigation.NavigateTo("users");
        SetRendererInfo(new RendererInfo("Server", isInteractive: true));

        var cut = Render<Routes>();

        cut.WaitForAssertion(() => Assert.Equal(AccessDeniedNotice.UsersMessage, cut.Find("[data-testid=access-denied-message]").TextContent.Trim()));
        Assert.Empty(cut.FindAll(Grid));
        Assert.EndsWith("/users", navigation.Uri);
    }

    [Fact]
    public async Task Route_AdminOpensUsers_SeesTheGrid()
    {
        await SeedAsync();
        Services.GetRequiredService<NavigationManager>().NavigateTo("users");
        SetRendererInfo(new RendererInfo("Server", isInteractive: true));

        var cut = Render<Routes>();

        cut.WaitForAssertion(() => Assert.Equal("Helpdesk", cut.Find("[data-testid=user-helen-role]").TextContent.Trim()));
        Assert.Empty(cut.FindAll("[data-testid=access-denied]"));
    }

    [Theory]
    [InlineData(Roles.Admin, true)]
    [InlineData(Roles.Helpdesk, false)]
    public void NavMenu_Role_UsersLinkOnlyForAdmins(string role, bool shown)
    {
        SignInAs(role);

        var cut = Render<NavMenu>();

        Assert.Equal(shown, cut.FindAll("[data-testid=nav-users]").Count == 1);
        Assert.Single(cut.FindAll("[data-testid=nav-vms]"));
    }

    private async Task<(IRenderedComponent<IComponent> Providers, IRenderedComponent<UsersPage> Page)> OpenAddUserAsync()
    {
        var providers = RenderProviders();
        var page = Render<UsersPage>();
        page.WaitForElement(Grid);
        // The handler waits for the dialog to close, so the click is not awaited.
        _ = ClickAsync(page, "[data-testid=users-add]");
        providers.WaitForElement("[data-testid=add-user-dialog]");
        return (providers, page);
    }

    /// <summary>What picking an item in the open list does (the list itself is a popover bUnit does not lay out).</summary>
    private static async Task ChooseRoleAsync(IRenderedComponent<UsersPage> cut, string user, string role)
    {
        var select = cut.FindComponents<MudSelect<string>>().Single(s => TestId(s) == $"user-{user}-role");
        await select.InvokeAsync(() => select.Instance.SelectOption(role));
    }

    private static string? TestId(IRenderedComponent<MudSelect<string>> select) =>
        select.Instance.UserAttributes.TryGetValue("data-testid", out var id) ? id as string : null;

    private static string RoleOf(IRenderedComponent<UsersPage> cut, string user) =>
        cut.Find($"[data-testid=user-{user}-role]").TextContent.Trim();

    private async Task SeedAsync()
    {
        await using var scope = Services.GetRequiredService<IServiceScopeFactory>().CreateAsyncScope();
        var roles = scope.ServiceProvider.GetRequiredService<RoleManager<IdentityRole>>();
        foreach (var role in Roles.All)
            if (!await roles.RoleExistsAsync(role)) Assert.True((await roles.CreateAsync(new IdentityRole(role))).Succeeded);
        var users = scope.ServiceProvider.GetRequiredService<UserManager<PortalUser>>();
        // The signed-in "admin" exists already (PortalComponentTest); it gets a password, which renews its security stamp.
        if (await users.FindByNameAsync("admin") is { } admin) Assert.True((await users.AddPasswordAsync(admin, Password)).Succeeded);
        else await PortalApiFactory.CreateUserAsync(users, "admin", Password, Roles.Admin);
        SignInAs(Roles.Admin);
        await PortalApiFactory.CreateUserAsync(users, PortalApiFactory.HelpdeskUser, Password, Roles.Helpdesk);
    }

    private async Task<T> WithUsersAsync<T>(Func<UserManager<PortalUser>, Task<T>> use)
    {
        await using var scope = Services.GetRequiredService<IServiceScopeFactory>().CreateAsyncScope();
        return await use(scope.ServiceProvider.GetRequiredService<UserManager<PortalUser>>());
    }

    private Task<bool> ExistsAsync(string name) => WithUsersAsync(async users => await users.FindByNameAsync(name) is not null);

    private Task<bool> IsInRoleAsync(string name, string role) =>
        WithUsersAsync(async users => await users.FindByNameAsync(name) is { } u && await users.IsInRoleAsync(u, role));
}
