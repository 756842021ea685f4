using Portal.Core.Vms;
using Portal.E2E.Infrastructure;
using static Portal.E2E.RealHost.HostCommands;

namespace Portal.E2E.RealHost;

/// <summary>
/// What the real-host seed cases leave to the embedded host, on a real QEMU guest: undo preview (the VM as it was
/// before the preview, the overlays only the preview used deleted), Remove snapshot (its memory volume deleted, any
/// overlay no remaining configuration needs), and a snapshot without memory of a running guest (libvirt's live
/// external disk snapshot), previewed and committed. Each must leave a VM that still runs.
/// </summary>
[Trait("Category", "RealHost")]
public sealed class RealQemuSnapshotLifecycleTests(RealHostFixture portal) : PortalTest(portal), IClassFixture<RealHostFixture>
{
    [Fact(Timeout = RealHostSteps.TestTimeoutMs)]
    public async Task PreviewWithMemory_UndoThenRemove_TheGuestBootsFreshEachTimeAndTheMemoryVolumeGoes()
    {
        const string vm = "tiny";
        await SignInAsync();
        var steps = new RealHostSteps(Page, Db);
        await steps.OpenVmAsync(vm);
        var (bootId, _) = await steps.RunAndWaitForCountersAsync(vm, atLeast: 2);
        var snapshot = await steps.CreateMemorySnapshotAsync(vm, "to undo");
        var memory = (await Db.SnapshotsAsync(vm)).Single(s => s.Id == snapshot).MemoryVolume!;
        await steps.StopAsync(vm);
        var before = DiskChain(vm);

        await steps.PreviewAsync(snapshot, restoreMemory: true);
        var previewing = DomainXml.DiskFiles(Virsh($"dumpxml --inactive {vm}")).Single();
        Assert.DoesNotContain(previewing, before); // a fresh overlay on the snapshot's image
        await steps.UndoAsync(vm);

        // The VM as it was before the preview: the same disk, the preview's overlay deleted, and a fresh boot.
        Assert.Equal(before, DiskChain(vm));
        Assert.False(File.Exists(previewing), $"the preview's overlay {previewing} is deleted");
        var undone = await steps.RunAndReadNewOutputAsync(vm);
        Assert.Equal([VmStatus.PoweringUp, VmStatus.Up], undone.Statuses);
        Assert.NotEqual(bootId, GuestConsole.Counters(undone.Text).Last().BootId);
        await steps.StopAsync(vm);

        Assert.True(File.Exists(memory.DumpPath));
        await steps.RemoveSnapshotAsync(vm, snapshot);

        Assert.False(File.Exists(memory.DumpPath), "the memory dump is deleted with its last snapshot");
        Assert.False(File.Exists(memory.ConfPath), "and so is its configuration volume");
        Assert.All(DiskChain(vm), f => Assert.True(File.Exists(f), $"{f}, on the VM's disk chain, stays"));
        var again = await steps.RunAndReadNewOutputAsync(vm);
        Assert.Equal([VmStatus.PoweringUp, VmStatus.Up], again.Statuses);
        await steps.StopAsync(vm);
    }

    [Fact(Timeout = RealHostSteps.TestTimeoutMs)]
    public async Task SnapshotWithoutMemoryOfARunningGuest_PreviewedThenCommitted_BootsFreshOnItsDisk()
    {
        const string vm = "tiny";
        await SignInAsync();
        var steps = new RealHostSteps(Page, Db);
        await steps.OpenVmAsync(vm);
        await steps.RunAndWaitForCountersAsync(vm, atLeast: 2);
        var running = DiskChain(vm);
        var snapshot = await steps.CreateDiskSnapshotAsync(vm, "disks only");

        // A live external disk snapshot: the running guest moved onto a new overlay of the image it used.
        await Expect(Page.GetByTestId("vm-status")).ToHaveAttributeAsync("data-status", "Up");
        var after = DiskChain(vm);
        Assert.Equal(running, after.Skip(1));
        await steps.StopAsync(vm);

        await steps.PreviewWithoutMemoryAsync(snapshot);
        var previewed = await steps.RunAndReadNewOutputAsync(vm);
        Assert.Equal([VmStatus.PoweringUp, VmStatus.Up], previewed.Statuses);
        Assert.Equal(running, DiskChain(vm).Skip(1)); // on a fresh overlay of the snapshot's image
        await steps.StopAsync(vm);

        await steps.CommitAsync(vm);
        var committed = await steps.RunAndReadNewOutputAsync(vm);
        Assert.Equal([VmStatus.PoweringUp, VmStatus.Up], committed.Statuses);
        Assert.Equal(running, DiskChain(vm).Skip(1));
        await steps.StopAsync(vm);
    }

    /// <summary>The VM's disk image and every image under it, from qemu-img's view of the files themselves.</summary>
    private static IReadOnlyList<string> DiskChain(string vm)
    {
        var top = DomainXml.DiskFiles(Virsh($"dumpxml --inactive {vm}")).Single();
        var info = Run("qemu-img", $"info --backing-chain -U --output=json {top}");
        return System.Text.Json.JsonDocument.Parse(info).RootElement.EnumerateArray().Select(e => e.GetProperty("filename").GetString()!).ToList();
    }
}
