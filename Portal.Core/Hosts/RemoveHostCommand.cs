using Microsoft.EntityFrameworkCore;
using Portal.Core.Commands;
using Portal.Core.Snapshots;
using Portal.Core.Vms;

namespace Portal.Core.Hosts;

public sealed record RemoveHostRequest(Guid HostId);

/// <summary>
/// Stops managing a host: its connection is closed, and its VMs leave the portal's inventory with their snapshot
/// records and status history; the memory volumes only they referenced are deleted from the storage domains. Nothing
/// on the host changes: its domains stay defined (and come back, without the portal's snapshots, if the host is added
/// again). Refused for the primary host, and while any of its VMs runs or is locked by an operation: the VMs' locks are
/// held while they are forgotten, so none can start meanwhile.
/// </summary>
public sealed class RemoveHostCommand(CommandServices s, VmInventory inventory) : HostCommand<RemoveHostRequest>(s)
{
    public override string Operation => Audit.AuditOperations.RemoveHost;

    protected override string SubjectOf(RemoveHostRequest request) =>
        S.Hosts.Find(request.HostId) is { } known ? $"'{known.Name}' ({known.Uri})" : $"{request.HostId}";

    protected override async Task<Refusal?> PrepareAsync(HostRun<RemoveHostRequest> run, CancellationToken ct)
    {
        run.Subject = SubjectOf(run.Request);
        var host = await run.Db.Hosts.AsNoTracking().FirstOrDefaultAsync(h => h.Id == run.Request.HostId, ct);
        if (host is null) return Refusal.Missing($"There is no host with id {run.Request.HostId} (it may have been removed).");
        if (host.Uri == S.Hosts.PrimaryUri)
            return new Refusal($"Host {host.Name} is the portal's configured host (Libvirt:Uri) and holds its storage domains; it cannot be removed.");

        // Every VM of the host is held while it is forgotten, so none can start meanwhile.
        var vms = await run.Db.Vms.AsNoTracking().Include(v => v.Snapshots).Where(v => v.HostId == host.Id).OrderBy(v => v.Name).ToListAsync(ct);
        foreach (var vm in vms)
        {
            var l = S.Locks.TryAcquire(vm.Id, Operation, out var heldBy);
            if (l is null) return new Refusal($"Cannot remove host {host.Name}: '{heldBy}' is in progress on its VM {vm.Name}. Try again when it has finished.");
            run.Hold(l);
        }
        var busy = vms.Select(v => (v.Name, Status: S.Monitor.StatusOf(v.Id), Locked: v.Snapshots.Any(x => x.Status == SnapshotStatus.Locked)))
            .Where(v => Vm.IsRunning(v.Status) || v.Status == VmStatus.ImageLocked || v.Locked)
            .Select(v => v.Locked ? $"{v.Name} (a snapshot is locked)" : $"{v.Name} ({Rules.Describe(v.Status)})").ToList();
        return busy.Count == 0 ? null
            : new Refusal($"Cannot remove host {host.Name} while its VMs run or are locked: {string.Join(", ", busy)}. " +
                          "Stop them first; removing a host never stops its VMs.");
    }

    protected override async Task<object?> ExecuteCoreAsync(HostRun<RemoveHostRequest> run, CancellationToken ct)
    {
        var host = await run.Db.Hosts.AsNoTracking().FirstAsync(h => h.Id == run.Request.HostId, ct);
        var vms = await run.Db.Vms.AsNoTracking().Include(v => v.Snapshots).Where(v => v.HostId == host.Id).ToListAsync(ct);
        var memory = vms.SelectMany(v => v.Snapshots).Where(x => x.MemoryVolumeId is not null).Select(x => x.MemoryVolumeId!.Value).Distinct().ToList();
        S.Hosts.Remove(host.Id);
        IReadOnlyList<string> names;
        // The memory release is journaled with the removal, in its transaction: it happens even if the portal stops now.
        run.Commit(new ReleaseMemoryStep(memory));
        try { (names, _) = await inventory.ForgetHostAsync(run.Db, host.Id, ct); }
        catch
        {
            // The database still has the host and its VMs: keep managing it.
            await S.Hosts.AddAsync(host);
            throw;
        }
        await run.SaveAsync("removed", ct);
        S.Notifier.Publish(new HostsChanged(host.Id));
        S.Notifier.Publish(new VmInventoryChanged());
        var forgotten = names.Count == 0 ? "It had no VMs in the portal."
            : $"Its {names.Count} VM(s) left the portal's inventory ({string.Join(", ", names)}); their domains stay defined on the host.";
        run.AuditMessage = $"Host {host.Name} ({host.Uri}) was removed. {forgotten}" +
                           (memory.Count > 0 ? $" {memory.Count} memory volume(s) of their snapshots were deleted." : "");
        return null;
    }
}
