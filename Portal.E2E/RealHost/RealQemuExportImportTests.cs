using System.Diagnostics;
using Microsoft.EntityFrameworkCore;
using Portal.Core.Snapshots;
using Portal.Core.Storage;
using Portal.Core.Vms;
using Portal.E2E.Infrastructure;

namespace Portal.E2E.RealHost;

/// <summary>
/// Seed cases Export/Import 3 (File → Block) and 4 (Block → File) on a real QEMU guest, through the portal's UI. The
/// Block domain is a libvirt disk pool on a loop device (this kernel has no device-mapper for an LVM pool), added on
/// the Storage page. "The state came back" is read in the Console tab: after import, preview and run, the guest's
/// counter continues from the snapshot's value with the boot_id it had before the export.
/// </summary>
[Trait("Category", "RealHost")]
public sealed class RealQemuExportImportTests(RealHostFixture portal, BlockDeviceFixture block)
    : PortalTest(portal), IClassFixture<RealHostFixture>, IClassFixture<BlockDeviceFixture>
{
    private const string FileDomain = "portal-data";
    private const string ExportDomain = "portal-export";
    private const string BlockDomain = "san-block";

    private async Task<RealHostSteps> SignedInWithBlockDomainAsync()
    {
        await SignInAsync();
        var steps = new RealHostSteps(Page, Db);
        await using var db = Db.Open();
        if (!await db.StorageDomains.AnyAsync(d => d.Name == BlockDomain)) await steps.AddBlockDomainAsync(BlockDomain, block.Device);
        return steps;
    }

    private async Task<MemoryVolume> MemoryOfAsync(string vm, Guid snapshot) =>
        (await Db.SnapshotsAsync(vm)).Single(s => s.Id == snapshot).MemoryVolume!;

    private async Task<StorageDomain> DomainAsync(Guid id)
    {
        await using var db = Db.Open();
        return await db.StorageDomains.AsNoTracking().SingleAsync(d => d.Id == id);
    }

    /// <summary>
    /// Runs <paramref name="vm"/>, takes a memory snapshot on <paramref name="memoryDomain"/>, stops, exports, removes and
    /// imports it into <paramref name="target"/>, previews the snapshot with its memory and runs it: the guest must
    /// continue where the snapshot was taken. Returns the snapshot's memory volume after the import.
    /// </summary>
    private async Task<MemoryVolume> MoveAndRestoreAsync(RealHostSteps steps, string vm, string memoryDomain, string target)
    {
        await steps.OpenVmAsync(vm);
        var (bootId, before) = await steps.RunAndWaitForCountersAsync(vm, atLeast: 3);
        var snapshot = await steps.CreateMemorySnapshotAsync(vm, "before the move", memoryDomain);
        var after = (await steps.CountersAsync()).Last().Counter;
        Assert.Equal(memoryDomain, (await DomainAsync((await MemoryOfAsync(vm, snapshot)).StorageDomainId)).Name);
        await steps.WaitForCounterAsync(after + 2);
        await steps.StopAsync(vm);

        var clock = Stopwatch.StartNew();
        var exported = await steps.ExportAsync(vm);
        var exportTime = clock.Elapsed;
        await steps.RemoveVmAsync(vm);
        clock.Restart();
        var (_, imported) = await steps.ImportAsync(vm, ExportDomain, target);
        var importTime = clock.Elapsed;
        TestContext.Current.TestOutputHelper?.WriteLine($"{vm}: {memoryDomain} -> {target}: export {exportTime.TotalSeconds:0.0} s ({exported.Message}); import {importTime.TotalSeconds:0.0} s ({imported.Message})");

        var memory = await MemoryOfAsync(vm, snapshot);
        Assert.Equal(target, (await DomainAsync(memory.StorageDomainId)).Name);
        await steps.PreviewAsync(snapshot, restoreMemory: true);
        var restored = await steps.RunAndReadNewOutputAsync(vm);
        Assert.Empty(GuestConsole.Boots(restored.Text));
        var first = GuestConsole.Counters(restored.Text).First();
        Assert.Equal(bootId, first.BootId);
        Assert.InRange(first.Counter, before, after + RealHostSteps.LogLag + 1);
        Assert.Equal([VmStatus.RestoringState, VmStatus.Up], restored.Statuses);
        await steps.StopAsync(vm);
        return memory;
    }

    [Fact(Timeout = RealHostSteps.TestTimeoutMs)]
    public async Task ExportImport3_FromFileToBlock_TheImportedGuestContinuesWithTheSameBootId()
    {
        var steps = await SignedInWithBlockDomainAsync();

        var memory = await MoveAndRestoreAsync(steps, "tiny", FileDomain, BlockDomain);

        // On the disk pool libvirt named the partitions itself; the portal keeps those names and their /dev paths.
        var partition = Path.GetFileName(block.Device);
        Assert.Matches($"^{partition}[0-9]+$", memory.DumpVolumeName);
        Assert.Equal($"/dev/{memory.DumpVolumeName}", memory.DumpPath);
        // The imported disks are self-contained copies on the File domain, not the images the export started from.
        var vm = await Db.VmAsync("tiny");
        var active = vm.Snapshots.Single(s => s.Type == SnapshotType.Active);
        Assert.DoesNotContain("/tiny.qcow2", active.ConfigurationXml);
        Assert.Contains($"{RealHostFixture.Root}/data/", active.ConfigurationXml);
    }

    [Fact(Timeout = RealHostSteps.TestTimeoutMs)]
    public async Task ExportImport4_FromBlockToFile_TheImportedGuestContinuesWithTheSameBootId()
    {
        const string vm = "tiny-stateless";
        var steps = await SignedInWithBlockDomainAsync();
        await steps.OpenVmAsync(vm);
        await steps.SetStatelessAsync(vm, false);

        var memory = await MoveAndRestoreAsync(steps, vm, BlockDomain, FileDomain);

        // On the File domain the dump is a file named by its GUID again.
        Assert.Equal(memory.DumpVolumeId.ToString(), memory.DumpVolumeName);
        Assert.Equal($"{RealHostFixture.Root}/data/{memory.DumpVolumeId}", memory.DumpPath);
    }
}
