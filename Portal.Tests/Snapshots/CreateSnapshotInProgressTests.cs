using Portal.Core.Commands;
using Portal.Core.Hypervisor;
using Portal.Core.Snapshots;
using Portal.Core.Vms;
using Portal.Tests.Support;

namespace Portal.Tests.Snapshots;

/// <summary>
/// Create rule 4 and the per-VM lock, with a real operation in flight: the fault injector holds libvirt's snapshot
/// call until the test lets it go.
/// </summary>
public sealed class CreateSnapshotInProgressTests() : PortalTest(injectFaults: true)
{
    [Fact]
    public async Task Create_WhileMemoryIsBeingSaved_VmIsSavingStateSnapshotLockedAndOtherOperationsRefused()
    {
        var web = await Portal.VmIdAsync("web-frontend");
        var (reached, release) = Portal.Faults.HoldOn(nameof(IHypervisor.CreateSnapshotAsync), web);

        var started = await Portal.Command<CreateSnapshotCommand>().StartAsync(new CreateSnapshotRequest(web, "long one"), PortalFixture.Alice);
        await reached.WaitAsync(Wait.DefaultTimeout, Ct);

        Assert.Null(started.Finished);
        var id = (Guid)started.StartedValue!;
        Assert.Equal(SnapshotStatus.Locked, (await Portal.SnapshotAsync(id))!.Status);
        Assert.Equal(VmStatus.SavingState, Portal.Monitor.StatusOf(web));
        Assert.Equal("Create snapshot", (await Portal.Queries.VmAsync(web, Ct))!.LockedBy);

        var second = await Portal.Command<CreateSnapshotCommand>().ExecuteAsync(new CreateSnapshotRequest(web, "second"), PortalFixture.Alice, Ct);
        var stop = await Portal.Command<StopVmCommand>().ExecuteAsync(new StopVmRequest(web), PortalFixture.Alice, Ct);

        Assert.Equal((ResultKind.Conflict, "Cannot create snapshot: the operation 'Create snapshot' is in progress on this VM. Try again when it has finished."),
            (second.Kind, second.Message));
        Assert.Equal((ResultKind.Conflict, "Cannot stop vm: the operation 'Create snapshot' is in progress on this VM. Try again when it has finished."),
            (stop.Kind, stop.Message));

        release.SetResult();
        var done = await started.Completion.WaitAsync(Wait.DefaultTimeout, Ct);

        Assert.Equal(ResultKind.Ok, done.Kind);
        Assert.Equal(SnapshotStatus.Ok, (await Portal.SnapshotAsync(id))!.Status);
        Assert.Equal(VmStatus.Up, Portal.Monitor.StatusOf(web));
        Assert.Null(Portal.Locks.HeldBy(web));
        Assert.Equal(2, (await Portal.LoadVmAsync(web)).Snapshots.Count);
    }

    [Fact]
    public async Task Create_OnAnotherVmMeanwhile_IsNotHeldUp()
    {
        var web = await Portal.VmIdAsync("web-frontend");
        var db = await Portal.VmIdAsync("db-primary");
        var (reached, release) = Portal.Faults.HoldOn(nameof(IHypervisor.CreateSnapshotAsync), web);
        var started = await Portal.Command<CreateSnapshotCommand>().StartAsync(new CreateSnapshotRequest(web, "long one"), PortalFixture.Alice);
        await reached.WaitAsync(Wait.DefaultTimeout, Ct);

        var other = await Portal.CreateSnapshotAsync(db, "meanwhile");

        Assert.NotNull((await Portal.SnapshotAsync(other))!.MemoryVolumeId);
        release.SetResult();
        Assert.Equal(ResultKind.Ok, (await started.Completion.WaitAsync(Wait.DefaultTimeout, Ct)).Kind);
    }
}
