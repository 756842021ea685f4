using Microsoft.EntityFrameworkCore;
using Portal.Core.Commands;
using Portal.Core.Snapshots;
using Portal.Core.Storage;
using Portal.Core.Vms;

namespace Portal.Core.ImportExport;

/// <param name="Collapse">Export only the active snapshot, with its memory.</param>
/// <param name="Overwrite">Replace a copy of this VM already on the export domain.</param>
public sealed record ExportVmRequest(Guid VmId, Guid ExportDomainId, bool Collapse = false, bool Overwrite = false) : IVmRequest;

/// <summary>
/// Exports a VM to an export domain: its OVF (each snapshot with its memory reference, the active one's too) and a
/// copy of every memory volume it references. Progress is published per copied volume.
/// </summary>
public sealed class ExportVmCommand(CommandServices s, ExportDomainStore store) : VmCommand<ExportVmRequest>(s)
{
    public override string Operation => "Export VM";

    private sealed class Run
    {
        public StorageDomain? Target;
        public readonly List<string> Copied = [];
        public bool OvfWritten;
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
        await S.Monitor.SetStatusAsync(vm.Id, VmStatus.ImageLocked, "exporting", ct);
        var exported = vm.Snapshots.Where(x => x.Type == SnapshotType.Active || (!ctx.Request.Collapse && x.Type == SnapshotType.Regular)).ToList();
        var memory = exported.Where(x => x.MemoryVolume is not null).Select(x => x.MemoryVolume!).DistinctBy(m => m.Id).ToList();
        var domains = await ctx.Db.StorageDomains.ToDictionaryAsync(d => d.Id, ct);

        var step = 0;
        var steps = memory.Count * 2 + 1;
        foreach (var m in memory)
        {
            var source = domains[m.StorageDomainId];
            foreach (var name in new[] { m.DumpVolumeName, m.ConfVolumeName })
            {
                if (ctx.Request.Overwrite) await S.Hypervisor.DeleteVolumeAsync(run.Target!.PoolName, name, ct);
                await S.Hypervisor.CopyVolumeAsync(source.PoolName, name, run.Target!.PoolName, name, 0, ct);
                run.Copied.Add(name);
                S.Notifier.Publish(new OperationProgress(vm.Id, Operation, ++step / (double)steps, false));
            }
        }

        var ovf = OvfMapping.ToOvf(vm, exported, domains, ctx.Request.Collapse, S.Now);
        await store.WriteAsync(run.Target!, ovf, ct);
        run.OvfWritten = true;
        S.Notifier.Publish(new OperationProgress(vm.Id, Operation, 1, false));
        await S.Monitor.SetStatusAsync(vm.Id, VmStatus.Down, "exported", ct);
        var bytes = memory.Sum(m => m.SizeBytes + MemoryVolumeStore.ConfigVolumeBytes);
        ctx.AuditMessage = $"Vm {vm.Name} was exported successfully to {run.Target!.Name}: {exported.Count} snapshot(s)" +
                           (ctx.Request.Collapse ? " (collapsed)" : "") + $", {memory.Count} memory volume(s), {bytes >> 20} MiB copied.";
        return bytes;
    }

    protected override async Task CompensateAsync(CommandContext<ExportVmRequest> ctx, Exception error)
    {
        var run = ctx.StateAs<Run>();
        if (run.Target is not null)
        {
            foreach (var name in run.Copied) await S.Hypervisor.DeleteVolumeAsync(run.Target.PoolName, name, CancellationToken.None);
            if (run.OvfWritten && !run.Existed) await store.DeleteAsync(run.Target, ctx.Vm.Id, CancellationToken.None);
        }
        await S.Monitor.RefreshFromHostAsync(ctx.Vm.Id, "export failed", CancellationToken.None);
    }
}

internal static class OvfMapping
{
    public static OvfVm ToOvf(Vm vm, IReadOnlyList<Snapshot> exported, IReadOnlyDictionary<Guid, StorageDomain> domains, bool collapse, DateTime now)
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
                m?.SizeBytes ?? 0, x.ConfigurationXml, owner?.HypervisorName, owner?.HypervisorXml);
        }).ToList();
        var active = exported.Single(x => x.Type == SnapshotType.Active);
        return new OvfVm(vm.Id, vm.Name, vm.Cluster?.Name ?? "", vm.Cluster?.CompatibilityVersion ?? "", vm.IsStateless, vm.MemoryMiB, now,
            active.ConfigurationXml, snapshots);
    }
}
