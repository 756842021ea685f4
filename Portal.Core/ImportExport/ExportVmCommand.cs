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
public sealed class ExportVmCommand(CommandServices s, ExportDomainStore store) : VmCommand<ExportVmRequest>(s)
{
    public override string Operation => "Export VM";

    private sealed class Run
    {
        public StorageDomain? Target;
        public readonly List<string> Copied = [];
        public bool Existed;
    }

    protected override IEnumerable<Refusal?> Validate(CommandContext<ExportVmRequest> ctx)
    {
        yield return Rules.VmIsDown(ctx.Status, "export it");
        yield return Rules.NotInPreview(ctx.Vm);
        yield return Rules.NoSnapshotLocked(ctx.Vm);
        var target = ctx.Db.StorageDomains.FirstOrDefault(d => d.Id == ctx.Request.ExportDomainId);
        ctx.StateAs<Run>().Target = target;
        yield return target is null ? Refusal.Missing("The export domain does not exist.")
            : target.Role != StorageRole.Export ? Refusal.BadInput($"{target.Name} is a data domain; choose an export domain.") : null;
    }

    protected override async Task<Refusal?> ValidateOnHostAsync(CommandContext<ExportVmRequest> ctx, CancellationToken ct)
    {
        var run = ctx.StateAs<Run>();
        run.Existed = await store.ExistsAsync(run.Target!, ctx.Vm.Id, ct);
        return run.Existed && !ctx.Request.Overwrite
            ? new Refusal($"VM {ctx.Vm.Name} is already on {run.Target!.Name}. Choose to overwrite it, or remove it from the export domain first.")
            : null;
    }

    protected override async Task<object?> ExecuteCoreAsync(CommandContext<ExportVmRequest> ctx, CancellationToken ct)
    {
        var run = ctx.StateAs<Run>();
        var vm = ctx.Vm;
        var target = run.Target!;
        await S.Monitor.SetStatusAsync(vm.Id, VmStatus.ImageLocked, "exporting", ct);
        var exported = vm.Snapshots.Where(x => x.Type == SnapshotType.Active || (!ctx.Request.Collapse && x.Type == SnapshotType.Regular)).ToList();
        var memory = exported.Where(x => x.MemoryVolume is not null).Select(x => x.MemoryVolume!).DistinctBy(m => m.Id).ToList();
        var domains = await ctx.Db.StorageDomains.ToDictionaryAsync(d => d.Id, ct);
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
        foreach (var m in memory)
        {
            var source = domains[m.StorageDomainId];
            // On the export domain the volumes are named by their GUIDs, whatever the data domain called them.
            foreach (var (from, to) in new[] { (m.DumpVolumeName, m.DumpVolumeId.ToString()), (m.ConfVolumeName, m.ConfVolumeId.ToString()) })
            {
                if (ctx.Request.Overwrite) await S.Hypervisor.DeleteVolumeAsync(target.PoolName, to, ct);
                await S.Hypervisor.CopyVolumeAsync(source.PoolName, from, target.PoolName, to, 0, VolumeFormat.Raw, ct);
                run.Copied.Add(to);
                Progress();
            }
        }
        foreach (var (source, copy) in images.Values)
        {
            // libvirt converts a qcow2 overlay through its backing chain: the copy is one self-contained image.
            await S.Hypervisor.CopyVolumeAsync(source.Pool, source.Volume, target.PoolName, copy.VolumeName, 0, VolumeFormat.Qcow2, ct);
            run.Copied.Add(copy.VolumeName);
            Progress();
        }

        var ovf = OvfMapping.ToOvf(vm, exported, domains, disks, ctx.Request.Collapse, S.Now);
        await store.WriteAsync(target, ovf, ct);
        run.Copied.Clear(); // the export stands; what follows only tidies up
        if (previous is not null) await RemoveReplacedAsync(ctx, target, previous, ovf);
        S.Notifier.Publish(new OperationProgress(vm.Id, Operation, 1, false));
        await S.Monitor.SetStatusAsync(vm.Id, VmStatus.Down, "exported", ct);
        var bytes = memory.Sum(m => m.SizeBytes + MemoryVolumeStore.ConfigVolumeBytes);
        ctx.AuditMessage = $"Vm {vm.Name} was exported successfully to {target.Name}: {exported.Count} snapshot(s)" +
                           (ctx.Request.Collapse ? " (collapsed)" : "") + $", {memory.Count} memory volume(s) ({bytes >> 20} MiB), {images.Count} disk image(s).";
        return bytes;
    }

    /// <summary>The copy being overwritten, when it can still be read, so its volumes can go once the new one stands.</summary>
    private async Task<OvfVm?> PreviousAsync(StorageDomain target, Guid vmId, CancellationToken ct)
    {
        try { return await store.ReadAsync(target, vmId, ct); }
        catch (OvfException) { return null; }
    }

    /// <summary>Removes the volumes of the replaced copy that the new OVF does not use.</summary>
    private async Task RemoveReplacedAsync(CommandContext<ExportVmRequest> ctx, StorageDomain target, OvfVm previous, OvfVm now)
    {
        static IEnumerable<string> Volumes(OvfVm vm) =>
            vm.Snapshots.SelectMany(s => s.DiskList.Select(d => d.VolumeName)
                .Concat(s.Memory is { } m ? new[] { m.DumpVolumeId.ToString(), m.ConfVolumeId?.ToString() } : []))
                .OfType<string>();
        var kept = Volumes(now).ToHashSet();
        foreach (var name in Volumes(previous).Distinct().Where(n => !kept.Contains(n)))
        {
            try { await S.Hypervisor.DeleteVolumeAsync(target.PoolName, name, CancellationToken.None); }
            catch (HypervisorException ex) { ctx.Warnings.Add($"The replaced copy's volume {name} could not be removed from {target.Name}: {ex.LibvirtMessage}"); }
        }
    }

    protected override async Task CompensateAsync(CommandContext<ExportVmRequest> ctx, Exception error)
    {
        var run = ctx.StateAs<Run>();
        if (run.Target is not null)
        {
            // Before the OVF is written every copy goes; after it, the export stands as written (volumes and OVF agree).
            foreach (var name in run.Copied) await S.Hypervisor.DeleteVolumeAsync(run.Target.PoolName, name, CancellationToken.None);
        }
        await S.Monitor.RefreshFromHostAsync(ctx.Vm.Id, "export failed", CancellationToken.None);
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
