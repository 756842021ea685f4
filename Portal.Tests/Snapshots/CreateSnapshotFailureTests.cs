using Portal.Core.Audit;
using Portal.Core.Commands;
using Portal.Core.Hypervisor;
using Portal.Core.Snapshots;
using Portal.Core.Vms;
using Portal.Tests.Support;

namespace Portal.Tests.Snapshots;

/// <summary>Create rules 5 and 6 of DESIGN.md: the VM going down mid-way, and rollback when libvirt fails.</summary>
public sealed class CreateSnapshotFailureTests() : PortalTest(injectFaults: true)
{
    private Task<CommandResult> Create(Guid vmId, string description, bool saveMemory = true) =>
        Portal.Command<CreateSnapshotCommand>().ExecuteAsync(new CreateSnapshotRequest(vmId, description, saveMemory), PortalFixture.Alice, Ct);

    [Fact]
    public async Task Create_VmWentDownWhileItsMemoryVolumeWasMade_SnapshotIsKeptWithoutMemory()
    {
        // The checks passed and the Locked row is saved; the guest powers off while the host makes the dump's volume.
        var web = await Portal.VmIdAsync("web-frontend");
        Portal.Faults.Before(nameof(IHypervisor.CreateVolumeAsync), () => Portal.Faults.Inner.DestroyAsync(web));

        var result = await Create(web, "s1");

        Assert.Equal(ResultKind.Ok, result.Kind);
        Assert.Equal(["Failed to save memory as part of Snapshot 's1' for VM web-frontend: the VM went down."], result.WarningList);
        var snapshot = (await Portal.SnapshotAsync(result.ValueAs<Guid>()))!;
        Assert.Equal((SnapshotStatus.Ok, (Guid?)null), (snapshot.Status, snapshot.MemoryVolumeId));
        Assert.Empty(await Portal.MemoryVolumesAsync());
        Assert.NotEmpty(Portal.Faults.CreatedVolumes);
        foreach (var (pool, name) in Portal.Faults.CreatedVolumes) Assert.False(await Portal.VolumeExistsAsync(pool, name));
        Assert.Contains(await Portal.AuditAsync(web), a => a.Outcome == AuditOutcome.Failure && a.Message.StartsWith("Failed to save memory as part of Snapshot 's1'"));
        Assert.Equal(VmStatus.Down, Portal.Monitor.StatusOf(web));
        await Portal.AssertNothingHalfDoneAsync(web);
    }

    [Fact]
    public async Task Create_VmWentDownJustBeforeTheDump_SnapshotIsKeptWithoutMemory()
    {
        // The last check that the VM runs is passed; the guest powers off before libvirt's call (a shutdown from inside).
        var web = await Portal.VmIdAsync("web-frontend");
        Portal.Faults.GoDownBefore(nameof(IHypervisor.CreateSnapshotAsync), web);

        var result = await Create(web, "s1");

        Assert.Equal(ResultKind.Ok, result.Kind);
        Assert.Equal(["Failed to save memory as part of Snapshot 's1' for VM web-frontend: the VM went down."], result.WarningList);
        var snapshot = (await Portal.SnapshotAsync(result.ValueAs<Guid>()))!;
        Assert.Equal((SnapshotStatus.Ok, (Guid?)null), (snapshot.Status, snapshot.MemoryVolumeId));
        Assert.Contains(snapshot.HypervisorName!, await Portal.Hypervisor.ListSnapshotNamesAsync(web, Ct));
        Assert.Empty(await Portal.MemoryVolumesAsync());
        Assert.NotEmpty(Portal.Faults.CreatedVolumes);
        foreach (var (pool, name) in Portal.Faults.CreatedVolumes) Assert.False(await Portal.VolumeExistsAsync(pool, name));
        Assert.Contains(await Portal.AuditAsync(web), a => a.Outcome == AuditOutcome.Failure && a.Message.StartsWith("Failed to save memory as part of Snapshot 's1'"));
        Assert.Equal(VmStatus.Down, Portal.Monitor.StatusOf(web));
        await Portal.AssertNothingHalfDoneAsync(web);
    }

    [Fact]
    public async Task Create_LibvirtSnapshotFails_RollsEverythingBack()
    {
        var web = await Portal.VmIdAsync("web-frontend");
        var activeBefore = await Portal.ActiveAsync(web);
        var before = await Portal.LastTransitionIdAsync(web);
        Portal.Faults.FailOn(nameof(IHypervisor.CreateSnapshotAsync));

        var result = await Create(web, "s1");

        Assert.Equal(ResultKind.Failed, result.Kind);
        Assert.Equal("Failed to complete snapshot 's1' creation for VM web-frontend: CreateSnapshotAsync (test) failed: injected fault in CreateSnapshotAsync", result.Message);
        var vm = await Portal.LoadVmAsync(web);
        var active = Assert.Single(vm.Snapshots);
        Assert.Equal((activeBefore.Id, activeBefore.ParentId), (active.Id, active.ParentId));
        Assert.Empty(await Portal.MemoryVolumesAsync());
        foreach (var (pool, name) in Portal.Faults.CreatedVolumes) Assert.False(await Portal.VolumeExistsAsync(pool, name));
        Assert.Empty(await Portal.Hypervisor.ListSnapshotNamesAsync(web, Ct));
        Assert.Equal([VmStatus.SavingState, VmStatus.Up], await Portal.StatusesSinceAsync(web, before));
        var audit = (await Portal.AuditAsync(web)).Last();
        Assert.Equal((AuditOutcome.Failure, result.Message), (audit.Outcome, audit.Message));
        await Portal.AssertNothingHalfDoneAsync(web);
    }

    [Theory]
    [InlineData(nameof(IHypervisor.GetDomainXmlAsync), 1, true)]
    [InlineData(nameof(IHypervisor.CreateVolumeAsync), 1, true)]
    [InlineData(nameof(IHypervisor.CreateVolumeAsync), 2, true)]
    [InlineData(nameof(IHypervisor.CreateSnapshotAsync), 1, true)]
    [InlineData(nameof(IHypervisor.GetDomainXmlAsync), 1, false)]
    [InlineData(nameof(IHypervisor.CreateSnapshotAsync), 1, false)]
    public async Task Create_FaultAtAnyStep_LeavesNothingHalfDone(string method, int nth, bool saveMemory)
    {
        var web = await Portal.VmIdAsync("web-frontend");
        var activeBefore = await Portal.ActiveAsync(web);
        Portal.Faults.FailOn(method, nth, method is nameof(IHypervisor.CreateVolumeAsync) ? null : web);

        var result = await Create(web, "s1", saveMemory);

        Assert.Equal(ResultKind.Failed, result.Kind);
        Assert.Contains($"injected fault in {method}", result.Message);
        var active = Assert.Single((await Portal.LoadVmAsync(web)).Snapshots);
        Assert.Equal((activeBefore.Id, activeBefore.ParentId), (active.Id, active.ParentId));
        Assert.Empty(await Portal.MemoryVolumesAsync());
        Assert.Empty(await Portal.Hypervisor.ListSnapshotNamesAsync(web, Ct));
        Assert.Equal(VmStatus.Up, Portal.Monitor.StatusOf(web));
        Assert.Equal(AuditOutcome.Failure, (await Portal.AuditAsync(web)).Last().Outcome);
        await Portal.AssertNothingHalfDoneAsync(web);
    }

    [Fact]
    public async Task Create_StorageDomainUnreadable_IsRefusedWithLibvirtsReason()
    {
        var web = await Portal.VmIdAsync("web-frontend");
        Portal.Faults.FailOn(nameof(IHypervisor.GetPoolAsync));

        var result = await Create(web, "s1");

        Assert.Equal(ResultKind.Conflict, result.Kind);
        Assert.Equal("No storage domain has room for the memory: 1241 MiB are needed (data-file: injected fault in GetPoolAsync).", result.Message);
        Assert.Single((await Portal.LoadVmAsync(web)).Snapshots);
        Assert.Empty(Portal.Faults.CreatedVolumes);
    }

    [Fact]
    public async Task Create_RoomSeenAmpleUnderAMinuteAgo_IsNotReadFromTheHostAgain()
    {
        var web = await Portal.VmIdAsync("web-frontend");
        Assert.Equal(ResultKind.Ok, (await Create(web, "s1")).Kind);
        // The first check read the pool (100 GiB free, 1.2 GiB needed): a host that cannot answer now is not asked.
        Portal.Faults.FailOn(nameof(IHypervisor.GetPoolAsync));

        var result = await Create(web, "s2");

        Assert.Equal(ResultKind.Ok, result.Kind);
        Assert.NotNull((await Portal.SnapshotAsync(result.ValueAs<Guid>()))!.MemoryVolumeId);
    }

    [Fact]
    public async Task Create_RoomNearTheLimit_IsReadFromTheHostEveryTime()
    {
        var web = await Portal.VmIdAsync("web-frontend");
        // Leave 2,000 MiB free: enough for the 1,241 MiB dump, but less than twice it.
        var pool = await Portal.Hypervisor.GetPoolAsync(Core.Hosts.DemoNode.DataPool, Ct);
        await Portal.Hypervisor.CreateVolumeAsync(pool.Name, "filler", pool.AvailableBytes - 2000L * 1024 * 1024, preallocate: true, Ct);
        Assert.Equal(ResultKind.Ok, (await Create(web, "s1")).Kind);
        Portal.Faults.FailOn(nameof(IHypervisor.GetPoolAsync));

        var result = await Create(web, "s2");

        Assert.Equal(ResultKind.Conflict, result.Kind);
        Assert.Equal("No storage domain has room for the memory: 1241 MiB are needed (data-file: injected fault in GetPoolAsync).", result.Message);
    }
}
