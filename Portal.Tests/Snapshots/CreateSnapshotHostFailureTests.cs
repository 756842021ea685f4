using Microsoft.EntityFrameworkCore;
using Portal.Core.Audit;
using Portal.Core.Commands;
using Portal.Core.Hosts;
using Portal.Core.Hypervisor;
using Portal.Core.Snapshots;
using Portal.Core.Storage;
using Portal.Core.Vms;
using Portal.Tests.Support;

namespace Portal.Tests.Snapshots;

/// <summary>
/// #4's faults: the host (libvirtd) dies during the dump, or the dump fails after libvirt paused the guest.
/// The snapshot is rolled back, the VM is not left locked, and the half-written dump is removed, at once when the
/// host still answers, or by the orphan collector once it answers again.
/// </summary>
public sealed class CreateSnapshotHostFailureTests() : PortalTest(injectFaults: true)
{
    private Task<CommandResult> Create(Guid vmId, string description) =>
        Portal.Command<CreateSnapshotCommand>().ExecuteAsync(new CreateSnapshotRequest(vmId, description), PortalFixture.Alice, Ct);

    [Fact]
    public async Task Create_HostDiesDuringTheDump_RolledBackUnlockedAndTheDumpRemovedOnceTheHostAnswers()
    {
        var web = await Portal.VmIdAsync("web-frontend");
        var activeBefore = await Portal.ActiveAsync(web);
        Portal.Faults.DieDuring(nameof(IHypervisor.CreateSnapshotAsync), vmId: web);

        var result = await Create(web, "s1");

        Assert.Equal(ResultKind.Failed, result.Kind);
        Assert.Contains("End of file while reading data", result.Message);
        var vm = await Portal.LoadVmAsync(web);
        var active = Assert.Single(vm.Snapshots);
        Assert.Equal((activeBefore.Id, activeBefore.ParentId), (active.Id, active.ParentId));
        Assert.Null(Portal.Locks.HeldBy(web));
        Assert.Equal(VmStatus.NotResponding, Portal.Monitor.StatusOf(web));
        var audit = (await Portal.AuditAsync(web)).Last();
        Assert.Equal(AuditOutcome.Failure, audit.Outcome);
        Assert.Contains("Undoing it also failed", audit.Message);
        Assert.Contains("delete memory volume", audit.Message);
        Assert.Contains("What is left is undone as soon as the host answers again.", audit.Message);
        // The database still knows the half-written dump, held by no snapshot, and the host still has it (and the
        // configuration volume, made after the dump's volume, before the dump).
        var orphan = Assert.Single(await Portal.MemoryVolumesAsync());
        Assert.True(await DumpOnInnerHostAsync(orphan));

        var collector = Portal.Get<OrphanVolumeCollector>();
        Assert.Equal(0, await collector.CollectAsync(Ct)); // the host still does not answer: kept for the next pass
        Assert.Single(await Portal.MemoryVolumesAsync());

        Portal.Faults.ComeBack();
        Assert.Equal(1, await collector.CollectAsync(Ct));

        Assert.Empty(await Portal.MemoryVolumesAsync());
        Assert.Equal((false, false), await Portal.VolumesExistAsync(orphan));
        await using (var db = await Portal.DbAsync())
            Assert.Contains(await db.AuditEntries.Where(a => a.Operation == "Remove memory volume").Select(a => a.Message).ToListAsync(Ct),
                m => m.StartsWith($"Memory volume {orphan.Id} (1240 MiB on data-file), left by an operation that could not finish, was removed."));
        // The journal still holds what could not be undone; the next recovery pass finishes it, and the VM is usable again.
        Assert.Equal(1, await Portal.Get<OperationRecovery>().RecoverAsync(Ct));
        Assert.Equal(VmStatus.Up, Portal.Monitor.StatusOf(web));
        Assert.Empty(await Portal.Hypervisor.ListSnapshotNamesAsync(web, Ct));
        await Portal.AssertNothingHalfDoneAsync(web);
    }

    [Fact]
    public async Task Create_HostConnectionDropsDuringTheDump_TheDumpIsCollectedAsSoonAsTheHostIsConnectedAgain()
    {
        var web = await Portal.VmIdAsync("web-frontend");
        var uri = Portal.Get<Portal.Core.PortalConnection>().LibvirtUri;
        var connection = Portal.Faults;
        Portal.Connections.Refuse(uri, "unable to connect to server: Connection refused");
        connection.Before(nameof(IHypervisor.CreateSnapshotAsync), () =>
        {
            connection.Drop("End of file while reading data: Input/output error");
            throw new HypervisorException("Taking the snapshot", "End of file while reading data: Input/output error");
        }, vmId: web);

        var result = await Create(web, "s1");

        Assert.Equal(ResultKind.Failed, result.Kind);
        Assert.Null(Portal.Locks.HeldBy(web));
        Assert.Single(await Portal.MemoryVolumesAsync());
        await Portal.WaitForStatusAsync(web, VmStatus.NotResponding);

        // libvirtd answers again: the portal reconnects, and the recorded dump goes without waiting for the timer: the
        // journal's recovery finishes the undo (or the orphan collector gets there first), either way audited.
        Portal.Connections.Allow(uri);
        await Wait.UntilAsync(async () =>
        {
            await using var db = await Portal.DbAsync();
            return (await db.MemoryVolumes.CountAsync(Ct), await db.OperationJournal.CountAsync(Ct),
                await db.AuditEntries.CountAsync(a => a.Operation == "Remove memory volume" || a.Message.Contains("was recovered after restart"), Ct));
        }, n => n is (0, 0, > 0), "the dump to be removed (and audited) on reconnect");
        // The reconnect also reads the VM's state from the host again; that may land just after the recovery.
        await Portal.WaitForStatusAsync(web, VmStatus.Up);
        await Portal.AssertNothingHalfDoneAsync(web);
    }

    [Fact]
    public async Task Create_DumpFailsAfterLibvirtPausedTheGuest_GuestRunsAgain()
    {
        var web = await Portal.VmIdAsync("web-frontend");
        // libvirt pauses the guest for the dump; here it fails without resuming it (its daemon went away and came back).
        Portal.Faults.Before(nameof(IHypervisor.CreateSnapshotAsync), async () =>
        {
            await Portal.Faults.Inner.SuspendAsync(web, Ct);
            throw new HypervisorException("Taking the snapshot", "operation failed: domain save job: unexpectedly failed");
        }, vmId: web);

        var result = await Create(web, "s1");

        Assert.Equal(ResultKind.Failed, result.Kind);
        Assert.Equal(DomainRunState.Running, await Portal.DomainStateAsync(web));
        await Portal.WaitForStatusAsync(web, VmStatus.Up);
        Assert.Empty(await Portal.MemoryVolumesAsync());
        foreach (var (pool, name) in Portal.Faults.CreatedVolumes) Assert.False(await Portal.VolumeExistsAsync(pool, name));
        await Portal.AssertNothingHalfDoneAsync(web);
    }

    [Fact]
    public async Task Create_DumpFailsWhileTheGuestWasPausedByItsUser_GuestStaysPaused()
    {
        var web = await Portal.VmIdAsync("web-frontend");
        await Portal.Hypervisor.SuspendAsync(web, Ct);
        await Portal.WaitForStatusAsync(web, VmStatus.Paused);
        Portal.Faults.FailOn(nameof(IHypervisor.CreateSnapshotAsync), vmId: web);

        var result = await Create(web, "s1");

        Assert.Equal(ResultKind.Failed, result.Kind);
        Assert.Equal(DomainRunState.Paused, await Portal.DomainStateAsync(web));
        await Portal.AssertNothingHalfDoneAsync(web);
    }

    private async Task<bool> DumpOnInnerHostAsync(MemoryVolume mv) =>
        await Portal.Faults.Inner.FindVolumePathAsync(DemoNode.DataPool, mv.DumpVolumeName, Ct) is not null;
}
