using Microsoft.EntityFrameworkCore;
using Portal.Core.Vms;
using Portal.Tests.Support;

namespace Portal.Tests.Vms;

/// <summary>
/// Lifecycle events reach the monitor: the test changes domains through <see cref="Portal.Core.Hypervisor.IHypervisor"/>
/// directly, as another client of the same connection would, and waits for the portal to notice.
/// </summary>
public sealed class VmMonitorTests : PortalTest
{
    [Fact]
    public async Task StatusOf_DomainStartedByAnotherClient_BecomesUpAndTheTransitionIsRecorded()
    {
        var agent = await Portal.VmIdAsync("build-agent");
        Assert.Equal(VmStatus.Down, Portal.Monitor.StatusOf(agent));

        await Portal.Hypervisor.StartAsync(agent, Ct);

        await Portal.WaitForStatusAsync(agent, VmStatus.Up);
        await using var db = await Portal.DbAsync();
        var t = await db.VmStatusTransitions.Where(x => x.VmId == agent).OrderBy(x => x.Id).LastAsync(Ct);
        Assert.Equal((VmStatus.Down, VmStatus.Up, "libvirt event Started"), (t.From, t.To, t.Reason));
        Assert.Equal(VmStatus.Up, (await Portal.LoadVmAsync(agent)).Status);
    }

    [Fact]
    public async Task StatusOf_DomainDestroyedByAnotherClient_BecomesDownAndTheTransitionIsRecorded()
    {
        var web = await Portal.VmIdAsync("web-frontend");
        Assert.Equal(VmStatus.Up, Portal.Monitor.StatusOf(web));
        var before = await Portal.LastTransitionIdAsync(web);

        await Portal.Hypervisor.DestroyAsync(web, Ct);

        await Portal.WaitForStatusAsync(web, VmStatus.Down);
        Assert.Equal([VmStatus.Down], await Portal.StatusesSinceAsync(web, before));
        Assert.Equal(VmStatus.Down, (await Portal.LoadVmAsync(web)).Status);
    }

    [Fact]
    public async Task SetStatuses_VmNotFollowedYet_NoTransitionToTheStatusItsRowHas_AChangeStartsFromTheRow()
    {
        // A VM missing on its host is never primed: at each start the reconcile set it Down again.
        var web = await Portal.VmIdAsync("web-frontend");
        var reports = await Portal.VmIdAsync("legacy-reports");
        Portal.Monitor.Forget(web);
        Portal.Monitor.Forget(reports);
        var webBefore = await Portal.LastTransitionIdAsync(web);
        var reportsBefore = await Portal.LastTransitionIdAsync(reports);

        await Portal.Monitor.SetStatusesAsync([(web, VmStatus.Down), (reports, VmStatus.Down)], "test", Ct);

        await using var db = await Portal.DbAsync();
        Assert.False(await db.VmStatusTransitions.AnyAsync(t => t.VmId == reports && t.Id > reportsBefore, Ct));
        var t = await db.VmStatusTransitions.SingleAsync(t => t.VmId == web && t.Id > webBefore, Ct);
        Assert.Equal((VmStatus.Up, VmStatus.Down), (t.From, t.To));
        Assert.Equal(VmStatus.Down, Portal.Monitor.StatusOf(reports));

        Portal.Monitor.Forget(reports);
        await Portal.Monitor.SetStatusAsync(reports, VmStatus.Down, "test", Ct);
        Assert.False(await db.VmStatusTransitions.AnyAsync(t => t.VmId == reports && t.Id > reportsBefore, Ct));
    }

    [Fact]
    public async Task StatusOf_DomainPausedAndResumedByAnotherClient_FollowsBoth()
    {
        var web = await Portal.VmIdAsync("web-frontend");
        var before = await Portal.LastTransitionIdAsync(web);

        await Portal.Hypervisor.SuspendAsync(web, Ct);
        await Portal.WaitForStatusAsync(web, VmStatus.Paused);
        await Portal.Hypervisor.ResumeAsync(web, Ct);
        await Portal.WaitForStatusAsync(web, VmStatus.Up);

        Assert.Equal([VmStatus.Paused, VmStatus.Up], await Portal.StatusesSinceAsync(web, before));
    }

    [Fact]
    public async Task Notifier_DomainStartedByAnotherClient_PublishesTheStatusChange()
    {
        var agent = await Portal.VmIdAsync("build-agent");
        var changed = new TaskCompletionSource<VmStatusChanged>(TaskCreationOptions.RunContinuationsAsynchronously);
        using var _ = Portal.Notifier.Subscribe(e => { if (e is VmStatusChanged c && c.VmId == agent) changed.TrySetResult(c); });

        await Portal.Hypervisor.StartAsync(agent, Ct);

        var c = await changed.Task.WaitAsync(Wait.DefaultTimeout, Ct);
        Assert.Equal(("build-agent", VmStatus.Down, VmStatus.Up), (c.VmName, c.From, c.To));
    }

    [Fact]
    public async Task StatusOf_EventWhileAnOperationHoldsTheVm_IsLeftToThatOperation()
    {
        var web = await Portal.VmIdAsync("web-frontend");
        var agent = await Portal.VmIdAsync("build-agent");
        using (Portal.Locks.TryAcquire(web, "Create snapshot", out _))
        {
            await Portal.Hypervisor.DestroyAsync(web, Ct);
            // Events are handled in order: once build-agent's later event is through, web-frontend's has been seen.
            await Portal.Hypervisor.StartAsync(agent, Ct);
            await Portal.WaitForStatusAsync(agent, VmStatus.Up);

            Assert.Equal(VmStatus.Up, Portal.Monitor.StatusOf(web));
        }
    }
}
