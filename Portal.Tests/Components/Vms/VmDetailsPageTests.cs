using Bunit;
using Portal.Components.Pages.Vms;
using Portal.Core.Hypervisor;
using Portal.Core.Vms;
using Portal.Tests.Components.Support;

namespace Portal.Tests.Components.Vms;

/// <summary>The VM page follows its own VM's events only, each with the one query it needs.</summary>
public sealed class VmDetailsPageTests : PortalComponentTest
{
    [Fact]
    public async Task Page_WatchesOnlyItsVm_AndStopsWhenClosed()
    {
        var build = await VmAsync("build-agent");
        var web = await VmAsync("web-frontend");
        RenderProviders();

        var cut = Render<VmDetailsPage>(p => p.Add(x => x.Id, build.Id));
        cut.WaitForElement("[data-testid=vm-status]");

        Assert.Equal(1, Get<PortalNotifier>().WatchersOf(build.Id));
        Assert.Equal(0, Get<PortalNotifier>().WatchersOf(web.Id));
        await DisposeComponentsAsync();
        Assert.Equal(0, Get<PortalNotifier>().WatchersOf(build.Id));
    }

    [Fact]
    public async Task Page_VmStartedOnTheHost_StatusChangesLive()
    {
        var build = await VmAsync("build-agent");
        RenderProviders();
        var cut = Render<VmDetailsPage>(p => p.Add(x => x.Id, build.Id));
        cut.WaitForAssertion(() => Assert.Equal("Down", cut.Find("[data-testid=vm-status]").GetAttribute("data-status")));

        await Get<IHypervisor>().StartAsync(build.Id, Ct);
        await Get<VmMonitor>().RefreshFromHostAsync(build.Id, "libvirt event Started", Ct);

        cut.WaitForAssertion(() => Assert.Equal("Up", cut.Find("[data-testid=vm-status]").GetAttribute("data-status")));
    }

    [Fact]
    public async Task Page_SnapshotTaken_TheSnapshotsAndTheAuditEntryAppear()
    {
        var build = await VmAsync("build-agent");
        RenderProviders();
        var cut = Render<VmDetailsPage>(p => p.Add(x => x.Id, build.Id));
        cut.WaitForElement("[data-testid=vm-status]");

        await SnapshotAsync(build.Id, "nightly", saveMemory: false);

        cut.WaitForAssertion(() => Assert.Contains("nightly", cut.Markup));
    }
}
