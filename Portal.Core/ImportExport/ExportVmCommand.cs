using Microsoft.EntityFrameworkCore;
using Portal.Core.Commands;
using Portal.Core.Hypervisor;
using Portal.Core.Snapshots;
using Portal.Core.Storage;
using Portal.Core.Vms;

namespace Portal.Core.ImportExport;

/// <param name="Collapse">Export only the active snapshot, with its memory.</param>
/// <param name="Overwrite">Replace a copy of this VM already on the export domain.</param>
public sealed record ExportVmRequest(Guid VmId, Guid ExportDomainId, bool Collapse = false, bool Overwrite = false) : IVmRequest;

/// <summary>
/// Exports a VM to an export domain: its OVF (each snapshot with its memory reference, the active one's too), a copy
/// of every memory volume it references, and each exported snapshot's disk images, flattened into self-contained
/// qcow2 images (with collapse, only the active snapshot's). Progress is published per copied volume.
/// </summary>
public sealed class ExportVmCommand(CommandServices s, ExportDomainStore store) : VmCommand<ExportVmRequest, ExportVmCommand.Run>(s)
{
    public override string Operation => Audit.AuditOperations.ExportVm;

    public sealed class Run : VmRun<ExportVmRequest>
    {
        public StorageDomain? Target;
        public bool Existed;
    }

    protected override Refusal? StateRefusal(VmFacts vm) =>
        Rules.VmIsDown(vm.Status, "export it") ?? Rules.NotInPreview(vm) ?? Rules.NoSnapshotLocked(vm);

    protected override IEnumerable<Refusal?> Validate(Run run)
    {
        var target = run.Target = run.Db.StorageDomains.FirstOrDefault(d => d.Id == run.Request.ExportDomainId);
        yield return target is null ? Refusal.Missing("The export domain does not exist.")
            : target.Role != StorageRole.Export ? Refusal.BadInput($"{target.Name} is a data domain; choose an export domain.") : null;
    }

    protected override async Task<Refusal?> ValidateOnHostAsync(Run run, CancellationToken ct)
    {
        run.Existed = await store.ExistsAsync(run.Target!, run.Vm.Id, ct);
        return run.Existed && !run.Request.Overwrite
            ? new Refusal($"VM {run.Vm.Name} is already on {run.Target!.Name}. Choose to overwrite it, or remove it from the export domain first.")
            : null;
    }

    protected override async Task<object?> ExecuteCoreAsync(Run run, CancellationToken ct)
    {
        var vm = run.Vm;
        var target = run.Target!;
        await S.Monitor.SetStatusAsync(vm.Id, VmStatus.ImageLocked, "exporting", ct);
        var exported = vm.Snapshots.Where(x => x.Type == SnapshotType.Active || (!run.Request.Collapse && x.Type == SnapshotType.Regular)).ToList();
        var memory = exported.Where(x => x.MemoryVolume is not null).Select(x => x.MemoryVolume!).DistinctBy(m => m.Id).ToList();
        var domains = await run.Db.StorageDomains.ToDictionaryAsync(d => d.Id, ct);
        var previous = run.Existed ? await PreviousAsync(target, vm.Id, ct) : null;

        // The disk images of every exported point in time (with collapse, the active one's only), each image once.
        var images = new Dictionary<string, (DiskImage Source, OvfDisk Copy)>();
        var imageIds = new Dictionary<string, Guid>();
        var disks = new Dictionary<Guid, IReadOnlyList<OvfDisk>>();
        foreach (var x in exported)
        {
            var list = new List<OvfDisk>();
            foreach (var d in await S.Hypervisor.GetDiskImagesAsync(x.ConfigurationXml, ct))
            {
                if (!images.TryGetValue(d.Path, out var image))
                {
                    if (!imageIds.TryGetValue(d.Target, out var imageId)) imageIds[d.Target] = imageId = Guid.NewGuid();
                    images[d.Path] = image = (d, new OvfDisk(d.Target, imageId, Guid.NewGuid(), d.CapacityBytes));
                }
                list.Add(image.Copy with { Target = d.Target });
            }
            disks[x.Id] = list;
        }

        var step = 0;
        var steps = memory.Count * 2 + images.Count + 1;
        void Progress() => S.Notifier.Publish(new OperationProgress(vm.Id, Operation, ++step / (double)steps, false));
        // Each copy is journaled with its undo before it is made: an interrupted export leaves no copy behind.
        foreach (var m in memory)
        {
            var source = domains[m.StorageDomainId];
            // On the export domain the volumes are named by their GUIDs, whatever the data domain called them.
            foreach (var (from, to) in new[] { (m.DumpVolumeName, m.DumpVolumeId.ToString()), (m.ConfVolumeName, m.ConfVolumeId.ToString()) })
            {
                if (run.Request.Overwrite) await S.Hypervisor.DeleteVolumeAsync(target.PoolName, to, ct);
                await run.WillAsync("copying-memory", new DeleteVolumeStep(target.PoolName, to), ct);
                await S.Hypervisor.CopyVolumeAsync(source.PoolName, from, target.PoolName, to, 0, VolumeFormat.Raw, ct);
                Progress();
            }
        }
        foreach (var (source, copy) in images.Values)
        {
            // libvirt converts a qcow2 overlay through its backing chain: the copy is one self-contained image.
            await run.WillAsync("copying-disk", new DeleteVolumeStep(target.PoolName, copy.VolumeName), ct);
            await S.Hypervisor.CopyVolumeAsync(source.Pool, source.Volume, target.PoolName, copy.VolumeName, 0, VolumeFormat.Qcow2, ct);
            Progress();
        }

        var ovf = OvfMapping.ToOvf(vm, exported, domains, disks, run.Request.Collapse, S.Now);
        if (!run.Existed) await run.WillAsync("writing-ovf", new DeleteExportedVmStep(target.Id, vm.Id), ct);
        await store.WriteAsync(target, ovf, ct);
        // The export stands; what follows only tidies up: the replaced copy's volumes that the new OVF does not use.
        run.Commit(previous is null ? [] : ReplacedVolumes(target, previous, ovf));
        await run.SaveAsync("exported", ct);
        S.Notifier.Publish(new OperationProgress(vm.Id, Operation, 1, false));
        await S.Monitor.SetStatusAsync(vm.Id, VmStatus.Down, "exported", ct);
        var bytes = memory.Sum(m => m.SizeBytes + MemoryVolumeStore.ConfigVolumeBytes);
        run.AuditMessage = $"Vm {vm.Name} was exported successfully to {target.Name}: {exported.Count} snapshot(s)" +
                           (run.Request.Collapse ? " (collapsed)" : "") + $", {memory.Count} memory volume(s) ({bytes >> 20} MiB), {images.Count} disk image(s).";
        return bytes;
    }

    /// <summary>The copy being overwritten, when it can still be read, so its volumes can go once the new one stands.</summary>
    private async Task<OvfVm?> PreviousAsync(StorageDomain target, Guid vmId, CancellationToken ct)
    {
        try { return await store.ReadAsync(target, vmId, ct); }
        catch (OvfException) { return null; }
    }

    /// <summary>The volumes of the replaced copy that the new OVF does not use.</summary>
    private static CompensationStep[] ReplacedVolumes(StorageDomain target, OvfVm previous, OvfVm now)
    {
        static IEnumerable<string> Volumes(OvfVm vm) =>
            vm.Snapshots.SelectMany(s => s.DiskList.Select(d => d.VolumeName)
                .Concat(s.Memory is { } m ? new[] { m.DumpVolumeId.ToString(), m.ConfVolumeId?.ToString() } : []))
                .OfType<string>();
        var kept = Volumes(now).ToHashSet();
        return Volumes(previous).Distinct().Where(n => !kept.Contains(n)).Select(n => (CompensationStep)new DeleteVolumeStep(target.PoolName, n)).ToArray();
    }
}

/// <summary>Removes an exported VM's OVF folder from an export domain (its volumes are separate steps).</summary>
public sealed record DeleteExportedVmStep(Guid ExportDomainId, Guid VmId) : CompensationStep
{
    public override string Describe() => $"remove the OVF of VM {VmId} from the export domain";

    public override async Task RunAsync(StepContext c, CancellationToken ct)
    {
        var domain = await c.Db.StorageDomains.AsNoTracking().FirstOrDefaultAsync(d => d.Id == ExportDomainId, ct);
        if (domain is not null) await new ExportDomainStore(c.S.Hypervisor).DeleteAsync(domain, VmId, ct);
    }
}

internal static class OvfMapping
{
    public static OvfVm ToOvf(Vm vm, IReadOnlyList<Snapshot> exported, IReadOnlyDictionary<Guid, StorageDomain> domains,
        IReadOnlyDictionary<Guid, IReadOnlyList<OvfDisk>> disks, bool collapse, DateTime now)
    {
        var snapshots = exported.Select(x =>
        {
            // The hypervisor record that wrote this memory: the active snapshot shares it with a regular one.
            var owner = x.MemoryVolumeId is null ? null
                : vm.Snapshots.FirstOrDefault(o => o.MemoryVolumeId == x.MemoryVolumeId && o.HypervisorXml is not null);
            var m = x.MemoryVolume;
            return new OvfSnapshot(x.Id, x.Type == SnapshotType.Active ? OvfDocument.ActiveType : OvfDocument.RegularType,
                x.Description, x.CreatedAt, collapse ? null : x.ParentId,
                m is null ? null : new MemoryReference(m.StorageDomainId, domains[m.StorageDomainId].DataCenterId, m.DumpImageId, m.DumpVolumeId, m.ConfImageId, m.ConfVolumeId),
                m?.SizeBytes ?? 0, x.ConfigurationXml, owner?.HypervisorName, owner?.HypervisorXml, disks.GetValueOrDefault(x.Id));
        }).ToList();
        var active = exported.Single(x => x.Type == SnapshotType.Active);
        return new OvfVm(vm.Id, vm.Name, vm.Cluster?.Name ?? "", vm.Cluster?.CompatibilityVersion ?? "", vm.IsStateless, vm.MemoryMiB, now,
            active.ConfigurationXml, snapshots);
    }
}
