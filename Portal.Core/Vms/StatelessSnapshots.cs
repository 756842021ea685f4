using Portal.Core.Commands;
using Portal.Core.Persistence;
using Portal.Core.Snapshots;

namespace Portal.Core.Vms;

/// <summary>A stateless VM's run/stop pair: a Stateless snapshot is taken at run and restored at stop.</summary>
internal static class StatelessSnapshots
{
    /// <summary>Copies the Active snapshot as the Stateless one, sharing its memory reference.</summary>
    public static Snapshot Take(CommandServices s, Vm vm, Snapshot active)
    {
        var stateless = new Snapshot
        {
            VmId = vm.Id, Description = Snapshot.StatelessDescription, CreatedAt = s.Now, Type = SnapshotType.Stateless,
            Status = SnapshotStatus.Ok, ConfigurationXml = active.ConfigurationXml, ParentId = active.ParentId,
            MemoryVolumeId = active.MemoryVolumeId,
        };
        vm.Snapshots.Add(stateless);
        return stateless;
    }

    /// <summary>
    /// Makes the Stateless snapshot the Active one again, memory reference included, so the next run restores
    /// the same memory. Returns false when the VM has no Stateless snapshot.
    /// </summary>
    public static async Task<bool> RestoreAsync(CommandServices s, PortalDbContext db, Vm vm, CancellationToken ct)
    {
        var stateless = vm.Snapshots.FirstOrDefault(x => x.Type == SnapshotType.Stateless);
        if (stateless is null) return false;
        var active = vm.Snapshots.Single(x => x.Type == SnapshotType.Active);
        await SnapshotChain.RedefineAsync(s, vm, stateless, ct);
        var memory = active.MemoryVolumeId;
        vm.Snapshots.Remove(active);
        db.Snapshots.Remove(active);
        await db.SaveChangesAsync(ct);
        stateless.Type = SnapshotType.Active;
        stateless.Description = Snapshot.ActiveDescription;
        await db.SaveChangesAsync(ct);
        await s.Memory.ReleaseUnreferencedAsync(db, [memory], ct);
        await SnapshotChain.ReleaseDiskOverlaysAsync(s, vm, [active.ConfigurationXml], ct);
        s.Notifier.Publish(new SnapshotChanged(vm.Id, stateless.Id, "StatelessRestored"));
        return true;
    }
}
