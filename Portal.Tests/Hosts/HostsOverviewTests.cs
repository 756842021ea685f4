using Portal.Core;
using Portal.Core.Hosts;
using Portal.Core.Vms;
using Portal.Tests.Support;

namespace Portal.Tests.Hosts;

/// <summary>The Hosts page's view: one read for every open page, stale only when a host's row can change.</summary>
public sealed class HostsOverviewTests : PortalTest
{
    private HostsOverview Overview => Portal.Get<HostsOverview>();

    [Fact]
    public async Task VmStarted_TheHostsRunningCountGoesUpInOneReadSharedByEveryPage()
    {
        var before = (await Overview.CurrentAsync(Ct)).Single();
        var changes = 0;
        Overview.Changed += () => Interlocked.Increment(ref changes);

        await PortalFixture.Succeeds(Portal.Command<RunVmCommand>().ExecuteAsync(new RunVmRequest(await Portal.VmIdAsync("build-agent")), PortalFixture.Alice, Ct));
        var views = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => Overview.CurrentAsync(Ct)));

        Assert.True(changes > 0);
        Assert.All(views, v => Assert.Same(views[0], v));
        Assert.Equal(before.RunningVmCount + 1, views[0].Single().RunningVmCount);
        Assert.Equal(before.VmCount, views[0].Single().VmCount);
    }

    [Fact]
    public async Task VmStatusChange_BetweenTwoRunningStatuses_KeepsTheView()
    {
        var first = await Overview.CurrentAsync(Ct);
        var changes = 0;
        Overview.Changed += () => Interlocked.Increment(ref changes);
        var web = await Portal.VmIdAsync("web-frontend");

        Portal.Notifier.Publish(new VmStatusChanged(web, "web-frontend", VmStatus.Up, VmStatus.Paused, DateTime.UtcNow, null));
        Portal.Notifier.Publish(new VmStatusChanged(web, "web-frontend", VmStatus.Paused, VmStatus.Up, DateTime.UtcNow, null));

        Assert.Equal(0, changes);
        Assert.Same(first, await Overview.CurrentAsync(Ct));

        Portal.Notifier.Publish(new VmStatusChanged(web, "web-frontend", VmStatus.Up, VmStatus.Down, DateTime.UtcNow, null));

        Assert.Equal(1, changes);
        Assert.NotSame(first, await Overview.CurrentAsync(Ct));
    }
}
