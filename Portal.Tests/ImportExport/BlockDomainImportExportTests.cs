using Microsoft.EntityFrameworkCore;
using Portal.Core.Commands;
using Portal.Core.Hosts;
using Portal.Core.Hypervisor;
using Portal.Core.ImportExport;
using Portal.Core.Snapshots;
using Portal.Core.Storage;
using Portal.Core.Vms;
using Portal.Tests.Support;

namespace Portal.Tests.ImportExport;

/// <summary>
/// Export/Import across domain kinds on the embedded test driver, whose disk pool keeps partitions as metadata: names
/// and sizes are libvirt's own, the bytes are not there (the real-host suite proves those).
/// </summary>
public sealed class BlockDomainImportExportTests() : PortalTest(injectFaults: true)
{
    private const long MiB = 1 << 20;

    private async Task<(Guid Export, Guid File, Guid Block)> DomainsAsync()
    {
        var block = (Guid)(await PortalFixture.Succeeds(Portal.Command<AddStorageDomainCommand>().ExecuteAsync(
            new AddStorageDomainRequest("san-block", StorageRole.Data, StorageSource.PartitionedDevice, Path: "/dev/sdz"), PortalFixture.Alice, Ct))).Value!;
        await using var db = await Portal.DbAsync();
        var export = await db.StorageDomains.SingleAsync(d => d.PoolName == DemoNode.ExportPool, Ct);
        var file = await db.StorageDomains.SingleAsync(d => d.PoolName == DemoNode.DataPool, Ct);
        return (export.Id, file.Id, block);
    }

    /// <summary>web-frontend with a memory snapshot on <paramref name="memoryDomain"/>, previewed and committed (the Active holds the memory too), exported, removed.</summary>
    private async Task<Guid> ExportedAndRemovedAsync(Guid memoryDomain, Guid export)
    {
        var web = await Portal.VmIdAsync("web-frontend");
        var s1 = (Guid)(await PortalFixture.Succeeds(Portal.Command<CreateSnapshotCommand>().ExecuteAsync(
            new CreateSnapshotRequest(web, "s1", true, memoryDomain), PortalFixture.Alice, Ct))).Value!;
        await Portal.StopAsync(web);
        await Portal.PreviewAsync(web, s1);
        await Portal.CommitAsync(web);
        await PortalFixture.Succeeds(Portal.Command<ExportVmCommand>().ExecuteAsync(new ExportVmRequest(web, export), PortalFixture.Alice, Ct));
        await PortalFixture.Succeeds(Portal.Command<RemoveVmCommand>().ExecuteAsync(new RemoveVmRequest(web), PortalFixture.Alice, Ct));
        return web;
    }

    private Task<CommandResult> Import(Guid vm, Guid export, Guid target) =>
        Portal.Command<ImportVmCommand>().ExecuteAsync(new ImportVmRequest(export, vm, target), PortalFixture.Alice, Ct);

    private async Task<List<VmStatus>> RunAsync(Guid vm)
    {
        var before = await Portal.LastTransitionIdAsync(vm);
        await Portal.RunAsync(vm);
        return await Portal.StatusesSinceAsync(vm, before);
    }

    [Fact]
    public async Task Import_FileToBlock_MemoryOnPartitionsNamedByLibvirtPreallocatedAndTheRunRestores()
    {
        var (export, file, block) = await DomainsAsync();
        var web = await ExportedAndRemovedAsync(file, export);
        var before = await Portal.Hypervisor.GetPoolAsync("san-block", Ct);

        await PortalFixture.Succeeds(Import(web, export, block));

        var vm = await Portal.LoadVmAsync(web);
        var mv = vm.Snapshots.Select(s => s.MemoryVolume).OfType<MemoryVolume>().DistinctBy(m => m.Id).Single();
        Assert.Equal((block, "sdz1", "/dev/sdz1", "sdz2", "/dev/sdz2"), (mv.StorageDomainId, mv.DumpVolumeName, mv.DumpPath, mv.ConfVolumeName, mv.ConfPath));
        // Preallocated: the partitions take the whole estimate (RAM + 200 MiB + video RAM) and the configuration's 1 MiB now.
        var after = await Portal.Hypervisor.GetPoolAsync("san-block", Ct);
        Assert.Equal(MemoryVolumeStore.EstimateBytes(vm) + MemoryVolumeStore.ConfigVolumeBytes, after.AllocationBytes - before.AllocationBytes);
        Assert.Equal([VmStatus.RestoringState, VmStatus.Up], await RunAsync(web));
    }

    [Fact]
    public async Task Export_BlockToFile_TheExportDomainNamesVolumesByGuidAndTheImportRestores()
    {
        var (export, file, block) = await DomainsAsync();
        var web = await ExportedAndRemovedAsync(block, export);

        // On the export domain the dump is a file named by its GUID, not after the partition it came from.
        StorageDomain exportDomain;
        await using (var db = await Portal.DbAsync()) exportDomain = await db.StorageDomains.SingleAsync(d => d.Id == export, Ct);
        var ovf = await Portal.Get<ExportDomainStore>().ReadAsync(exportDomain, web, Ct);
        var memory = ovf.Active!.Memory!;
        Assert.NotNull(await Portal.Hypervisor.FindVolumePathAsync(DemoNode.ExportPool, memory.DumpVolumeId.ToString(), Ct));
        Assert.Null(await Portal.Hypervisor.FindVolumePathAsync(DemoNode.ExportPool, "sdz1", Ct));

        await PortalFixture.Succeeds(Import(web, export, file));

        var mv = (await Portal.LoadVmAsync(web)).Snapshots.Select(s => s.MemoryVolume).OfType<MemoryVolume>().First();
        Assert.Equal((file, memory.DumpVolumeId.ToString()), (mv.StorageDomainId, mv.DumpVolumeName));
        Assert.Equal([VmStatus.RestoringState, VmStatus.Up], await RunAsync(web));
    }

    [Fact]
    public async Task Snapshot_OnBlockDomain_FileDomainStaysSparseAndBlockIsPreallocated()
    {
        var (_, file, block) = await DomainsAsync();
        var web = await Portal.VmIdAsync("web-frontend");
        var fileBefore = (await Portal.Hypervisor.GetPoolAsync(DemoNode.DataPool, Ct)).AllocationBytes;

        await PortalFixture.Succeeds(Portal.Command<CreateSnapshotCommand>().ExecuteAsync(new CreateSnapshotRequest(web, "on file", true, file), PortalFixture.Alice, Ct));
        var blockBefore = (await Portal.Hypervisor.GetPoolAsync("san-block", Ct)).AllocationBytes;
        await PortalFixture.Succeeds(Portal.Command<CreateSnapshotCommand>().ExecuteAsync(new CreateSnapshotRequest(web, "on block", true, block), PortalFixture.Alice, Ct));

        Assert.Equal(fileBefore, (await Portal.Hypervisor.GetPoolAsync(DemoNode.DataPool, Ct)).AllocationBytes);
        var estimate = MemoryVolumeStore.EstimateBytes(await Portal.LoadVmAsync(web));
        Assert.Equal(estimate + MiB, (await Portal.Hypervisor.GetPoolAsync("san-block", Ct)).AllocationBytes - blockBefore);
    }

    [Fact]
    public async Task Import_ToBlockCopyFails_NoPartitionIsLeftAndTheNextImportTakesTheSameSlots()
    {
        var (export, file, block) = await DomainsAsync();
        var web = await ExportedAndRemovedAsync(file, export);
        Portal.Faults.FailOn(nameof(IHypervisor.CopyVolumeAsync), 2);

        var result = await Import(web, export, block);

        Assert.Equal(ResultKind.Failed, result.Kind);
        foreach (var (pool, name) in Portal.Faults.CreatedVolumes.Where(v => v.Pool == "san-block"))
            Assert.False(await Portal.VolumeExistsAsync(pool, name), $"partition {name} was left in {pool}");
        await PortalFixture.Succeeds(Import(web, export, block));
        var mv = (await Portal.LoadVmAsync(web)).Snapshots.Select(s => s.MemoryVolume).OfType<MemoryVolume>().First();
        Assert.Equal(("sdz1", "sdz2"), (mv.DumpVolumeName, mv.ConfVolumeName));
    }

    [Fact]
    public async Task RemoveSnapshot_OnBlockDomain_ThePartitionsGo()
    {
        var (_, _, block) = await DomainsAsync();
        var web = await Portal.VmIdAsync("web-frontend");
        var s1 = (Guid)(await PortalFixture.Succeeds(Portal.Command<CreateSnapshotCommand>().ExecuteAsync(new CreateSnapshotRequest(web, "s1", true, block), PortalFixture.Alice, Ct))).Value!;
        var mv = (await Portal.SnapshotAsync(s1))!.MemoryVolume!;
        await Portal.StopAsync(web);

        await Portal.RemoveAsync(web, s1);

        Assert.Equal((false, false), await Portal.VolumesExistAsync(mv, "san-block"));
    }
}
