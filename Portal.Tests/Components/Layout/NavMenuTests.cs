using Bunit;
using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.DependencyInjection;
using Portal.Components.Layout;
using Portal.Core.Auth;
using Portal.Tests.Components.Support;

namespace Portal.Tests.Components.Layout;

public sealed class NavMenuTests : PortalComponentTest
{
    [Fact]
    public void Navigation_TheCurrentPageAndThePagesUnderItAreMarkedCurrent()
    {
        SignInAs(Roles.Admin);
        var navigation = Services.GetRequiredService<NavigationManager>();
        navigation.NavigateTo("vms");
        var cut = Render<NavMenu>();
        Assert.Equal(["nav-vms"], Current(cut));

        navigation.NavigateTo("vms/5a1e0c52-0d3b-4a5e-9c51-2f0a7b1e0003?tab=snapshots");
        cut.WaitForAssertion(() => Assert.Equal(["nav-vms"], Current(cut)));

        navigation.NavigateTo("hosts");
        cut.WaitForAssertion(() => Assert.Equal(["nav-hosts"], Current(cut)));
        Assert.DoesNotContain("active", cut.Find("[data-testid=nav-vms]").ClassList);

        // "vmsx" is not under "vms".
        navigation.NavigateTo("vmsx");
        cut.WaitForAssertion(() => Assert.Empty(Current(cut)));
    }

    [Fact]
    public void ApiReference_IsLoadedByTheBrowserNotTheRouter()
    {
        SignInAs(Roles.Helpdesk);

        var cut = Render<NavMenu>();

        var link = cut.Find("[data-testid=nav-api-reference]");
        Assert.Equal("api-reference/", link.GetAttribute("href"));
        Assert.Equal("_top", link.GetAttribute("target"));
        Assert.Equal("API reference", link.TextContent.Trim());
        Assert.Null(cut.Find("[data-testid=nav-hosts]").GetAttribute("target"));
    }

    private static List<string?> Current(IRenderedComponent<NavMenu> cut) =>
        [.. cut.FindAll("a[aria-current=page]").Select(a => a.GetAttribute("data-testid"))];
}
