using Microsoft.EntityFrameworkCore;
using Portal.Core.Audit;
using Portal.Core.Snapshots;
using Portal.Core.Vms;
using Portal.Tests.Support;

namespace Portal.Tests.Vms;

/// <summary>Run rule 3 of DESIGN.md: a stateless VM restores its memory on every run.</summary>
public sealed class StatelessRunTests : PortalTest
{
    /// <summary>
    /// Stands in for "Edit VM → Stateless", which the portal does not have yet. A stateless VM cannot be snapshotted
    /// while it runs (Create rule 2), so, as in oVirt, the memory snapshot is taken while the VM is not stateless.
    /// </summary>
    private async Task SetStatelessAsync(Guid vmId, bool stateless)
    {
        await using var db = await Portal.DbAsync();
        await db.Vms.Where(v => v.Id == vmId).ExecuteUpdateAsync(s => s.SetProperty(v => v.IsStateless, stateless), Ct);
    }

    [Fact]
    public async Task Run_StatelessVmWithABlockDeviceDisk_RunsAndWarnsThatTheDiskKeepsWhatItWrites()
    {
        var vm = await Portal.DefineAndStartAsync("""
            <domain type='test'><name>san-kiosk</name><memory unit='MiB'>256</memory><vcpu>1</vcpu><os><type arch='x86_64'>hvm</type></os>
              <devices><disk type='block' device='disk'><source dev='/dev/sdb'/><target dev='vdb'/></disk></devices></domain>
            """);
        await Portal.StopAsync(vm);
        await SetStatelessAsync(vm, true);

        var result = await Portal.RunAsync(vm);

        Assert.Equal(["Disk vdb (block device /dev/sdb) keeps what this run writes: a stateless run writes to throw-away copies of image files only."],
            result.WarningList);
        Assert.Equal(VmStatus.Up, Portal.Monitor.StatusOf(vm));
    }

    [Fact]
    public async Task Run_StatelessVm_TakesAStatelessSnapshotThatStopRestores()
    {
        var kiosk = await Portal.VmIdAsync("kiosk-stateless");
        var active = await Portal.ActiveAsync(kiosk);

        await Portal.RunAsync(kiosk);

        var running = await Portal.LoadVmAsync(kiosk);
        var stateless = running.Snapshots.Single(s => s.Type == SnapshotType.Stateless);
        Assert.Equal((Snapshot.StatelessDescription, active.ConfigurationXml), (stateless.Description, stateless.ConfigurationXml));
        Assert.Equal(2, running.Snapshots.Count);

        var stop = await Portal.StopAsync(kiosk);

        Assert.Equal("VM kiosk-stateless powered off; its stateless snapshot was restored.", stop.Message);
        var after = Assert.Single((await Portal.LoadVmAsync(kiosk)).Snapshots);
        Assert.Equal((stateless.Id, SnapshotType.Active, Snapshot.ActiveDescription), (after.Id, after.Type, after.Description));
    }

    [Fact]
    public async Task Run_StatelessVmWithActiveMemory_RestoresOnEveryRun()
    {
        var kiosk = await Portal.VmIdAsync("kiosk-stateless");
        await SetStatelessAsync(kiosk, false);
        await Portal.RunAsync(kiosk);
        var baseline = await Portal.CreateSnapshotAsync(kiosk, "kiosk baseline");
        await Portal.StopAsync(kiosk);
        await Portal.PreviewAsync(kiosk, baseline);
        await Portal.CommitAsync(kiosk);
        await SetStatelessAsync(kiosk, true);
        var memory = (await Portal.ActiveAsync(kiosk)).MemoryVolume!;

        for (var run = 1; run <= 3; run++)
        {
            var before = await Portal.LastTransitionIdAsync(kiosk);

            await Portal.RunAsync(kiosk);

            Assert.Equal([VmStatus.RestoringState, VmStatus.Up], await Portal.StatusesSinceAsync(kiosk, before));
            var running = await Portal.LoadVmAsync(kiosk);
            Assert.Equal(memory.Id, running.Snapshots.Single(s => s.Type == SnapshotType.Stateless).MemoryVolumeId);
            Assert.Null(running.Snapshots.Single(s => s.Type == SnapshotType.Active).MemoryVolumeId);

            await Portal.StopAsync(kiosk);

            Assert.Equal(memory.Id, (await Portal.ActiveAsync(kiosk)).MemoryVolumeId);
            Assert.Equal((true, true), await Portal.VolumesExistAsync(memory));
        }
    }

    [Fact]
    public async Task ProcessDown_StatelessVmDestroyedByAnotherClient_RestoresItsStatelessSnapshot()
    {
        var kiosk = await Portal.VmIdAsync("kiosk-stateless");
        await Portal.RunAsync(kiosk);

        await Portal.Hypervisor.DestroyAsync(kiosk, Ct);

        await Wait.UntilAsync(async () => (await Portal.LoadVmAsync(kiosk)).Snapshots.Count, n => n == 1, "the stateless snapshot is restored");
        Assert.Equal(VmStatus.Down, Portal.Monitor.StatusOf(kiosk));
        var audit = await Wait.UntilAsync(() => Portal.AuditAsync(kiosk), a => a.Any(e => e.Operation == "Process VM down"), "the down processing is audited");
        var entry = audit.Single(e => e.Operation == "Process VM down");
        Assert.Equal(("system", AuditOutcome.Success, "VM kiosk-stateless is down; its stateless snapshot was restored."), (entry.User, entry.Outcome, entry.Message));
    }
}
