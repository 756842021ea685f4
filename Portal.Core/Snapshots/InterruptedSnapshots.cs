using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Portal.Core.Audit;
using Portal.Core.Auth;
using Portal.Core.Hypervisor;
using Portal.Core.Persistence;

namespace Portal.Core.Snapshots;

/// <summary>
/// At start no operation runs, so a Locked snapshot was left by a portal that stopped half-way (killed, host
/// rebooted). Each is settled from what the host says, so the VM is usable again and nothing is half done: a
/// creation the host finished is kept, one it did not is removed (its memory volume then has no holder and the
/// orphan collector deletes it), an interrupted removal leaves the snapshot as it was.
/// </summary>
public sealed partial class InterruptedSnapshots(
    IDbContextFactory<PortalDbContext> dbFactory, IHypervisor hypervisor, AuditLog audit, ILogger<InterruptedSnapshots> log)
{
    public async Task<int> SettleAsync(CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        // Only what the journal does not cover (a database from before it): the journal's own operations were recovered first.
        var locked = await db.Snapshots.Where(s => s.Status == SnapshotStatus.Locked && !db.OperationJournal.Any(r => r.VmId == s.VmId)).ToListAsync(ct);
        foreach (var snapshot in locked)
        {
            var vm = await db.Vms.Include(v => v.Snapshots).FirstAsync(v => v.Id == snapshot.VmId, ct);
            var child = vm.Snapshots.FirstOrDefault(s => s.ParentId == snapshot.Id);
            string message;
            AuditOutcome outcome;
            try
            {
                var onHost = snapshot.HypervisorName is { } name && (await hypervisor.ListSnapshotNamesAsync(vm.Id, ct)).Contains(name);
                if (child is not null)
                {
                    // Something is still built on it: a removal that did not get to the end.
                    snapshot.Status = SnapshotStatus.Ok;
                    (outcome, message) = (AuditOutcome.Warning, $"Removal of snapshot '{snapshot.Description}' of VM {vm.Name} was interrupted when the portal stopped; the snapshot was kept. Remove it again if it should go.");
                }
                else if (onHost)
                {
                    snapshot.Status = SnapshotStatus.Ok;
                    snapshot.HypervisorXml = await hypervisor.GetSnapshotXmlAsync(vm.Id, snapshot.HypervisorName!, ct);
                    var active = vm.Snapshots.Single(s => s.Type == SnapshotType.Active);
                    active.ParentId = snapshot.Id;
                    active.ConfigurationXml = await hypervisor.GetDomainXmlAsync(vm.Id, inactive: true, ct);
                    (outcome, message) = (AuditOutcome.Warning, $"Snapshot '{snapshot.Description}' creation for VM {vm.Name} was interrupted when the portal stopped; the host had finished it, so it was kept.");
                }
                else
                {
                    db.Snapshots.Remove(snapshot);
                    (outcome, message) = (AuditOutcome.Failure, $"Snapshot '{snapshot.Description}' creation for VM {vm.Name} was interrupted when the portal stopped, before the host finished it; it was removed" +
                                                                (snapshot.MemoryVolumeId is null ? "." : ", and its memory volume goes with it."));
                }
                await db.SaveChangesAsync(ct);
            }
            catch (HypervisorException ex)
            {
                // The host does not answer: settle it at the next start rather than guess.
                LogUnsettled(log, snapshot.Id, vm.Name, ex.LibvirtMessage);
                continue;
            }
            await audit.WriteAsync(Actor.System.UserName, vm.Id, vm.Name, child is null ? Audit.AuditOperations.CreateSnapshot : Audit.AuditOperations.RemoveSnapshot, outcome, message);
        }
        return locked.Count;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Interrupted snapshot {SnapshotId} of VM {VmName} left Locked: the host did not answer ({Error})")]
    private static partial void LogUnsettled(ILogger log, Guid snapshotId, string vmName, string error);
}
