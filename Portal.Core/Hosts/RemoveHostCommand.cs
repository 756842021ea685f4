using Microsoft.EntityFrameworkCore;
using Portal.Core.Auth;
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
public sealed class RemoveHostCommand(CommandServices s, VmInventory inventory) : HostCommand(s)
{
    public override string Operation => "Remove host";

    public async Task<CommandResult> ExecuteAsync(RemoveHostRequest request, Actor actor, CancellationToken ct = default)
    {
        var known = S.Hosts.Find(request.HostId);
        var subject = known is null ? $"{request.HostId}" : $"'{known.Name}' ({known.Uri})";
        return await RunAsync(actor, subject, async (db, token) =>
        {
            var host = await db.Hosts.AsNoTracking().FirstOrDefaultAsync(h => h.Id == request.HostId, token);
            if (host is null) return CommandResult.NotFound($"There is no host with id {request.HostId} (it may have been removed).");
            if (host.Uri == S.Hosts.PrimaryUri)
                return CommandResult.Conflict($"Host {host.Name} is the portal's configured host (Libvirt:Uri) and holds its storage domains; it cannot be removed.");

            var vms = await db.Vms.AsNoTracking().Include(v => v.Snapshots).Where(v => v.HostId == host.Id).OrderBy(v => v.Name).ToListAsync(token);
            var locks = new List<IDisposable>();
            try
            {
                foreach (var vm in vms)
                {
                    var held = S.Locks.TryAcquire(vm.Id, Operation, out var heldBy);
                    if (held is null)
                        return CommandResult.Conflict($"Cannot remove host {host.Name}: '{heldBy}' is in progress on its VM {vm.Name}. Try again when it has finished.");
                    locks.Add(held);
                }
                var busy = vms.Select(v => (v.Name, Status: S.Monitor.StatusOf(v.Id), Locked: v.Snapshots.Any(x => x.Status == SnapshotStatus.Locked)))
                    .Where(v => Vm.IsRunning(v.Status) || v.Status == VmStatus.ImageLocked || v.Locked)
                    .Select(v => v.Locked ? $"{v.Name} (a snapshot is locked)" : $"{v.Name} ({Rules.Describe(v.Status)})").ToList();
                if (busy.Count > 0)
                    return CommandResult.Conflict($"Cannot remove host {host.Name} while its VMs run or are locked: {string.Join(", ", busy)}. " +
                                                  "Stop them first; removing a host never stops its VMs.");

                S.Hosts.Remove(host.Id);
                IReadOnlyList<string> names;
                IReadOnlyList<Guid?> memory;
                try { (names, memory) = await inventory.ForgetHostAsync(db, host.Id, token); }
                catch
                {
                    // The database still has the host and its VMs: keep managing it.
                    await S.Hosts.AddAsync(host);
                    throw;
                }
                var released = await S.Memory.ReleaseUnreferencedAsync(db, memory, token);
                S.Notifier.Publish(new HostsChanged(host.Id));
                S.Notifier.Publish(new VmInventoryChanged());
                var forgotten = names.Count == 0 ? "It had no VMs in the portal."
                    : $"Its {names.Count} VM(s) left the portal's inventory ({string.Join(", ", names)}); their domains stay defined on the host.";
                return CommandResult.Ok(null, $"Host {host.Name} ({host.Uri}) was removed. {forgotten}" +
                                              (released > 0 ? $" {released} memory volume(s) of their snapshots were deleted." : ""));
            }
            finally
            {
                foreach (var l in locks) l.Dispose();
            }
        }, ct);
    }
}
