using Bunit;
using Microsoft.AspNetCore.Components;
using Portal.Components.Layout;
using Portal.Components.Pages.Hosts;
using Portal.Components.Pages.Vms;
using Portal.Tests.Components.Support;

namespace Portal.Tests.Components.Layout;

public sealed class FocusTitleOnNavigateTests : PortalComponentTest
{
    private const string FocusTitle = "portalLayout.focusTitle";

    [Fact]
    public void Navigation_FocusesTheNewPagesTitle_ButNotOnTheCircuitsFirstPageOrARenderOfTheSamePage()
    {
        var vms = new RouteData(typeof(VmsPage), new Dictionary<string, object?>());
        var cut = Render<FocusTitleOnNavigate>(p => p.Add(c => c.RouteData, vms));
        Assert.DoesNotContain(JSInterop.Invocations, i => i.Identifier == FocusTitle);

        cut.Render(p => p.Add(c => c.RouteData, vms)); // the router rendered again, same page
        Assert.DoesNotContain(JSInterop.Invocations, i => i.Identifier == FocusTitle);

        cut.Render(p => p.Add(c => c.RouteData, new RouteData(typeof(HostsPage), new Dictionary<string, object?>())));
        cut.WaitForAssertion(() => Assert.Single(JSInterop.Invocations, i => i.Identifier == FocusTitle));

        // Another VM's page: the same page type with other route values.
        cut.Render(p => p.Add(c => c.RouteData, new RouteData(typeof(VmDetailsPage), new Dictionary<string, object?> { ["Id"] = Guid.NewGuid() })));
        cut.Render(p => p.Add(c => c.RouteData, new RouteData(typeof(VmDetailsPage), new Dictionary<string, object?> { ["Id"] = Guid.NewGuid() })));
        cut.WaitForAssertion(() => Assert.Equal(3, JSInterop.Invocations.Count(i => i.Identifier == FocusTitle)));
    }
}
