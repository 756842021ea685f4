using Portal.E2E.Infrastructure;
using Portal.E2E.Pages;

namespace Portal.E2E.Users;

/// <summary>The Users page in a browser: add users, then find one with the search box and page through the rest.</summary>
public sealed class UsersPageTests(PortalFixture portal) : PortalTest(portal), IClassFixture<PortalFixture>
{
    [Fact]
    public async Task AddUsers_SearchFindsOne_RowsPerPageIsRememberedAfterAReload()
    {
        await SignInAsync();
        var shell = new PortalShell(Page);
        await shell.Navigation.GetByRole(AriaRole.Link, new() { Name = "Users", Exact = true }).ClickAsync();
        var rows = Page.Locator("[data-testid=users-grid] tr.user-row");
        await Expect(Page.GetByTestId("user-admin-name")).ToBeVisibleAsync();

        foreach (var (name, role) in new[] { ("ops-ann", "Helpdesk"), ("ops-bob", "Helpdesk"), ("root-carl", "Admin") })
        {
            await Page.GetByTestId("users-add").ClickAsync();
            var dialog = Page.GetByTestId("add-user-dialog");
            await dialog.GetByLabel("User name").FillAsync(name);
            await dialog.GetByLabel("Password").FillAsync("Operator-pass-1");
            await Page.GetByTestId("add-user-role").ClickAsync();
            await Page.GetByRole(AriaRole.Option, new() { Name = role, Exact = true }).ClickAsync();
            await Page.GetByTestId("add-user-ok").ClickAsync();
            await Expect(dialog).ToBeHiddenAsync();
            await Expect(Page.GetByTestId($"user-{name}-name")).ToBeVisibleAsync();
        }
        var all = await rows.CountAsync();

        await Page.GetByLabel("Search users").FillAsync("OPS-");
        await Expect(rows).ToHaveCountAsync(2);
        await Expect(Page.GetByTestId("user-ops-ann-name")).ToBeVisibleAsync();
        await Expect(Page.GetByTestId("user-ops-bob-name")).ToBeVisibleAsync();
        await Page.GetByLabel("Search users").FillAsync("admin");
        await Expect(Page.GetByTestId("user-root-carl-name")).ToBeVisibleAsync();
        await Expect(Page.GetByTestId("user-ops-ann-name")).ToHaveCountAsync(0);
        await Page.GetByLabel("Search users").FillAsync("");
        await Expect(rows).ToHaveCountAsync(all);

        // Ten rows per page: fewer than ten users here, so one page; the choice is kept for this user.
        await Page.Locator("[data-testid=users-pager] .mud-table-pagination-select").ClickAsync();
        await Page.GetByRole(AriaRole.Option, new() { Name = "10", Exact = true }).ClickAsync();
        await Expect(Page.GetByTestId("users-pager")).ToContainTextAsync($"1-{all} of {all}");
        await Page.ReloadAsync();
        await shell.WaitInteractiveAsync();
        await Expect(rows).ToHaveCountAsync(all);
        await Expect(Page.Locator("[data-testid=users-pager] .mud-table-pagination-select")).ToContainTextAsync("10");
    }
}
