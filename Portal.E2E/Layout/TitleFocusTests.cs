using Portal.E2E.Infrastructure;
using Portal.E2E.Pages;

namespace Portal.E2E.Layout;

/// <summary>
/// Every page has one h1, its title, in the page's main landmark. After a navigation inside the portal focus moves to it
/// (a screen reader says where the user is; Tab starts from the top of the page); the first page of a visit keeps the
/// browser's own focus.
/// </summary>
[Collection(SharedPortalCollection.Name)]
public sealed class TitleFocusTests(PortalFixture portal) : PortalTest(portal)
{
    private Task<string> FocusedAsync() =>
        Page.EvaluateAsync<string>("() => { const e = document.activeElement; return e ? `${e.tagName} ${e.textContent.trim()}` : ''; }");

    [Fact]
    public async Task Navigation_FocusMovesToTheNewPagesTitle_NotOnTheFirstPage()
    {
        await SignInAsync();
        var shell = new PortalShell(Page);
        await shell.WaitInteractiveAsync();
        var vms = new VmsPage(Page);
        await Expect(Page.Locator("main h1")).ToHaveTextAsync("Virtual machines");
        Assert.Equal("BODY", (await FocusedAsync()).Split(' ')[0]);

        await shell.Navigation.GetByRole(AriaRole.Link, new() { Name = "Hosts" }).ClickAsync();
        await Poll.UntilAsync(FocusedAsync, f => f == "H1 Hosts", "focus on the Hosts page's title");

        // A VM's page shows its title once its data is loaded: focus goes there when it appears.
        await shell.Navigation.GetByRole(AriaRole.Link, new() { Name = "Virtual machines" }).ClickAsync();
        await Poll.UntilAsync(FocusedAsync, f => f == "H1 Virtual machines", "focus on the VMs page's title");
        await vms.Link(DemoVms.WebFrontend).ClickAsync();
        await Poll.UntilAsync(FocusedAsync, f => f == $"H1 {DemoVms.WebFrontend}", "focus on the VM page's title");
        await Expect(Page.Locator("main h1")).ToHaveCountAsync(1);
    }
}
