using System.Diagnostics;
using Portal.Core.Vms;
using Portal.E2E.Infrastructure;

namespace Portal.E2E.RealHost;

/// <summary>
/// Undo preview and Remove snapshot on a real QEMU guest, which the seed cases leave to the embedded host: undo defines
/// the VM as it was before the preview and deletes the disk overlays only the preview used; removal deletes the
/// snapshot's memory volume and any overlay no remaining configuration needs. Each must leave a VM that still runs.
/// </summary>
[Trait("Category", "RealHost")]
public sealed class RealQemuUndoRemoveTests(RealHostFixture portal) : PortalTest(portal), IClassFixture<RealHostFixture>
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

    /// <summary>The VM's disk image and every image under it, from qemu-img's view of the files themselves.</summary>
    private static IReadOnlyList<string> DiskChain(string vm)
    {
        var top = DomainXml.DiskFiles(Virsh($"dumpxml --inactive {vm}")).Single();
        var info = Run("qemu-img", $"info --backing-chain -U --output=json {top}");
        return System.Text.Json.JsonDocument.Parse(info).RootElement.EnumerateArray().Select(e => e.GetProperty("filename").GetString()!).ToList();
    }

    private static string Virsh(string args) => Run("virsh", $"-q -c qemu:///system {args}");

    private static string Run(string file, string args)
    {
        using var p = Process.Start(new ProcessStartInfo(file, args) { RedirectStandardOutput = true, RedirectStandardError = true })!;
        var output = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        return output;
    }
}
