using Portal.E2E.Infrastructure;
using Portal.E2E.Pages;

namespace Portal.E2E.Layout;

/// <summary>
/// The navigation drawer is plain markup toggled by js/layout.js: open beside the page on wide screens, closed and over
/// the page on narrow ones. Its state must survive the circuit replacing the prerendered page and every re-render.
/// </summary>
[Collection(SharedPortalCollection.Name)]
public sealed class NavigationDrawerTests(PortalFixture portal) : PortalTest(portal)
{
    private ILocator Toggle => Page.GetByRole(AriaRole.Button, new() { Name = "Toggle navigation" });
    private ILocator Drawer => Page.GetByTestId("nav-drawer");

    [Fact]
    public async Task WideScreen_OpenBesideThePage_ToggleClosesAndReopensIt()
    {
        await SignInAsync();
        var shell = new PortalShell(Page);
        await shell.WaitInteractiveAsync();
        await Expect(shell.Navigation).ToBeInViewportAsync();
        await Expect(Toggle).ToHaveAttributeAsync("aria-expanded", "true");
        var main = Page.Locator(".mud-main-content");
        await Expect(main).ToHaveCSSAsync("margin-left", "240px");

        await Toggle.ClickAsync();

        await Expect(shell.Navigation).Not.ToBeInViewportAsync();
        await Expect(Toggle).ToHaveAttributeAsync("aria-expanded", "false");
        await Expect(main).ToHaveCSSAsync("margin-left", "0px");
        // Closed is hidden, not only off screen: its links are out of the tab order.
        await Expect(shell.Navigation.GetByRole(AriaRole.Link, new() { Name = "Hosts" })).ToBeHiddenAsync();
        // A page the circuit renders (a VM's page, from the grid's link) keeps the choice.
        var vms = new VmsPage(Page);
        await vms.Link(DemoVms.WebFrontend).ClickAsync();
        await Expect(Page.GetByTestId("snapshot-create")).ToBeVisibleAsync();
        await Expect(shell.Navigation).Not.ToBeInViewportAsync();

        await Toggle.ClickAsync();

        await Expect(shell.Navigation).ToBeInViewportAsync();
        await Expect(Toggle).ToHaveAttributeAsync("aria-expanded", "true");
        await Expect(main).ToHaveCSSAsync("margin-left", "240px");
    }

    [Fact]
    public async Task NarrowScreen_ClosedUntilToggled_OverThePageAndClosedByTheScrimOrALink()
    {
        await Page.SetViewportSizeAsync(700, 900);
        await SignInAsync();
        var shell = new PortalShell(Page);
        await shell.WaitInteractiveAsync();
        // Closed from the first paint (no open-then-close flash), and the page uses the whole width.
        await Expect(shell.Navigation).Not.ToBeInViewportAsync();
        await Expect(Toggle).ToHaveAttributeAsync("aria-expanded", "false");
        var main = Page.Locator(".mud-main-content");
        await Expect(main).ToHaveCSSAsync("margin-left", "0px");

        await Toggle.ClickAsync();

        await Expect(shell.Navigation).ToBeInViewportAsync();
        await Expect(Toggle).ToHaveAttributeAsync("aria-expanded", "true");
        await Expect(Page.GetByTestId("nav-overlay")).ToBeVisibleAsync();
        await Expect(shell.Navigation.GetByRole(AriaRole.Link, new() { Name = "Hosts" })).ToBeVisibleAsync();
        await Expect(main).ToHaveCSSAsync("margin-left", "0px");

        // A click beside the drawer closes it.
        await Page.Mouse.ClickAsync(600, 400);
        await Expect(shell.Navigation).Not.ToBeInViewportAsync();
        await Expect(Page.GetByTestId("nav-overlay")).ToBeHiddenAsync();

        // A link in it navigates and closes it.
        await Toggle.ClickAsync();
        await shell.Navigation.GetByRole(AriaRole.Link, new() { Name = "Hosts" }).ClickAsync();
        await Expect(Page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("/hosts$"));
        await Expect(shell.Navigation).Not.ToBeInViewportAsync();
        await Expect(Toggle).ToHaveAttributeAsync("aria-expanded", "false");
    }
}
