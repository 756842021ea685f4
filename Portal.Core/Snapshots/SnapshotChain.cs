using Microsoft.Extensions.Logging;
using Portal.Core.Commands;
using Portal.Core.Hypervisor;
using Portal.Core.Persistence;
using Portal.Core.Vms;

namespace Portal.Core.Snapshots;

/// <summary>Steps several snapshot commands share: removing snapshots with their references, redefining the VM.</summary>
public static class SnapshotChain
{
    /// <summary>
    /// Removes <paramref name="doomed"/> from the VM: the hypervisor's records, the rows (children are re-parented)
    /// and then every memory volume that no snapshot references any more.
    /// </summary>
    public static async Task<int> RemoveAsync(CommandServices s, PortalDbContext db, Vm vm, IReadOnlyCollection<Snapshot> doomed, CancellationToken ct)
    {
        if (doomed.Count == 0) return 0;
        foreach (var d in doomed.Where(d => d.HypervisorName is not null))
            await s.Hypervisor.DeleteSnapshotAsync(vm.Id, d.HypervisorName!, ct);
        var ids = doomed.Select(d => d.Id).ToHashSet();
        foreach (var child in vm.Snapshots.Where(c => c.ParentId is { } p && ids.Contains(p)))
        {
            var parent = child.ParentId;
            while (parent is { } pid && ids.Contains(pid)) parent = vm.Snapshots.First(x => x.Id == pid).ParentId;
            child.ParentId = parent;
        }
        var memory = doomed.Select(d => d.MemoryVolumeId).ToList();
        var droppedConfigs = doomed.Select(d => d.ConfigurationXml).ToList();
        foreach (var d in doomed)
        {
            vm.Snapshots.Remove(d);
            db.Snapshots.Remove(d);
        }
        await db.SaveChangesAsync(ct);
        foreach (var d in doomed) s.Notifier.Publish(new SnapshotChanged(vm.Id, d.Id, "Removed"));
        await ReleaseDiskOverlaysAsync(s, vm, droppedConfigs, ct);
        return await s.Memory.ReleaseUnreferencedAsync(db, memory, ct);
    }

    /// <summary>
    /// After configurations were dropped (snapshots removed, a preview undone, a stateless run ended): deletes the
    /// disk overlays only they wrote to, unless a remaining snapshot still writes to one or builds on it. The
    /// operation has already succeeded, so a host that refuses is logged, not failed: the overlay only takes space.
    /// </summary>
    public static async Task ReleaseDiskOverlaysAsync(CommandServices s, Vm vm, IEnumerable<string> droppedConfigs, CancellationToken ct)
    {
        var candidates = droppedConfigs.SelectMany(DomainXml.DiskFiles).ToHashSet();
        if (candidates.Count == 0) return;
        var inUse = vm.Snapshots.SelectMany(x => DomainXml.DiskFiles(x.ConfigurationXml)).ToHashSet();
        try
        {
            var deleted = await s.Hypervisor.DeleteUnusedOverlaysAsync(candidates, inUse, ct);
            if (deleted.Count > 0) s.Loggers.CreateLogger(typeof(SnapshotChain)).LogInformation("Disk overlays of VM {VmName} no snapshot uses any more were deleted: {Paths}", vm.Name, deleted);
        }
        catch (HypervisorException ex)
        {
            s.Loggers.CreateLogger(typeof(SnapshotChain)).LogWarning("Disk overlays of VM {VmName} could not be deleted: {Error}", vm.Name, ex.LibvirtMessage);
        }
    }

    /// <summary>Makes the host's definition of the VM the configuration a snapshot recorded.</summary>
    public static async Task RedefineAsync(CommandServices s, Vm vm, Snapshot from, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(from.ConfigurationXml)) return;
        var current = await s.Hypervisor.GetDomainXmlAsync(vm.Id, inactive: true, ct);
        if (current != from.ConfigurationXml) await s.Hypervisor.DefineDomainAsync(from.ConfigurationXml, ct);
    }
}
