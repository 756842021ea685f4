using Microsoft.EntityFrameworkCore;
using Portal.Core.Commands;
using Portal.Core.Hypervisor;
using Portal.Core.ImportExport;
using Portal.Core.Libvirt;
using Portal.Core.Vms;

namespace Portal.Core.Storage;

/// <param name="ExportedVmsConfirmed">
/// The user saw that the export domain holds exported VMs and removes it anyway; their files stay in the pool.
/// Default false: such a removal is refused with the list of VMs, so the dialog can ask.
/// </param>
/// <param name="RemovePool">
/// Also stop and undefine the libvirt pool. Only for a pool the portal created; no volume, file or partition is
/// deleted. Default false: the pool stays on the host as it is.
/// </param>
public sealed record RemoveStorageDomainRequest(Guid DomainId, bool ExportedVmsConfirmed = false, bool RemovePool = false);

/// <summary>What removing a domain would leave behind; the Remove dialog shows it before the user confirms.</summary>
/// <param name="Blocking">Why the domain cannot be removed now (memory volumes or disk images in use), or null.</param>
/// <param name="ExportedVms">The VMs on an export domain, which stay in its pool but leave the portal's view.</param>
public sealed record StorageDomainRemoval(string? Blocking, IReadOnlyList<string> ExportedVms);

/// <summary>
/// Removes a storage domain from the portal. Refused while it holds memory volumes (naming the VMs and snapshots) or
/// the disk images of a VM; an export domain holding exported VMs needs the user's confirmation. The libvirt pool is
/// stopped and undefined only when the portal created it and the user asks; no data is ever deleted.
/// </summary>
public sealed class RemoveStorageDomainCommand(CommandServices s, ExportDomainStore exports) : StorageCommand<RemoveStorageDomainRequest, RemoveStorageDomainCommand.Run>(s)
{
    public override string Operation => Audit.AuditOperations.RemoveStorageDomain;

    public sealed class Run : StorageRun<RemoveStorageDomainRequest>
    {
        public StorageDomain? Domain;
        public IReadOnlyList<string> Exported = [];
    }

    /// <summary>What stands in the way of removing the domain, read from the database and the host; null when it is gone.</summary>
    public async Task<StorageDomainRemoval?> InspectAsync(Guid domainId, CancellationToken ct = default)
    {
        await using var db = await S.Db.CreateDbContextAsync(ct);
        var domain = await db.StorageDomains.AsNoTracking().FirstOrDefaultAsync(d => d.Id == domainId, ct);
        return domain is null ? null : await InspectAsync(db, domain, ct);
    }

    private async Task<StorageDomainRemoval> InspectAsync(Persistence.PortalDbContext db, StorageDomain domain, CancellationToken ct)
    {
        var memory = await db.MemoryVolumes.Where(m => m.StorageDomainId == domain.Id).Select(m => m.Id).ToListAsync(ct);
        if (memory.Count > 0)
        {
            var uses = await (from x in db.Snapshots
                              join v in db.Vms on x.VmId equals v.Id
                              where x.MemoryVolumeId != null && memory.Contains(x.MemoryVolumeId.Value)
                              select new { Memory = x.MemoryVolumeId!.Value, Vm = v.Name, x.Description, x.Type }).ToListAsync(ct);
            var vms = uses.Select(u => u.Vm).Distinct().Order(StringComparer.OrdinalIgnoreCase).ToList();
            var snapshots = uses.Select(u => u.Type == Snapshots.SnapshotType.Active ? $"{u.Vm}: Current" : $"{u.Vm}: '{u.Description}'").Distinct().ToList();
            var orphans = memory.Count(m => uses.All(u => u.Memory != m));
            return new($"{domain.Name} holds {memory.Count} memory volume(s)" +
                       (vms.Count > 0 ? $" of VM {string.Join(", ", vms)} (snapshots {string.Join("; ", snapshots)})" : "") +
                       (orphans > 0 ? $"{(vms.Count > 0 ? ", and" : ":")} {orphans} that no snapshot uses and the host could not delete yet" : "") +
                       ". Remove those snapshots or VMs, or run the VMs so their memory is used up, before removing the domain.", []);
        }

        PoolInfo? pool = null;
        try { pool = await S.Hypervisor.GetPoolAsync(domain.PoolName, ct); }
        catch (HypervisorException) { /* a pool the host lost holds nothing the portal could protect */ }

        // Disk images are files, on File domains only (a Block domain's target is /dev, where no VM's image file lives).
        if (domain.Role == StorageRole.Data && domain.Kind == StorageKind.File && pool?.TargetPath is { Length: > 1 } dir)
        {
            var prefix = dir.TrimEnd('/') + "/";
            var configs = await (from x in db.Snapshots join v in db.Vms on x.VmId equals v.Id select new { Vm = v.Name, x.ConfigurationXml }).ToListAsync(ct);
            var users = configs.Where(c => SnapshotXml.FileDisks(DomainXml.Parse(c.ConfigurationXml)).Any(d => d.Source.StartsWith(prefix, StringComparison.Ordinal)))
                .Select(c => c.Vm).Distinct().Order(StringComparer.OrdinalIgnoreCase).ToList();
            if (users.Count > 0)
                return new($"{domain.Name} holds the disk images of VM {string.Join(", ", users)}. Remove those VMs before removing the domain.", []);
        }

        if (domain.Role == StorageRole.Export && pool is not null)
        {
            try
            {
                var entries = await exports.ListAsync(domain, ct);
                return new(null, entries.Select(e => e.Title).Order(StringComparer.OrdinalIgnoreCase).ToList());
            }
            catch (Exception ex) when (ExportDomainStore.IsUnreadable(ex)) { /* nothing readable to warn about */ }
        }
        return new(null, []);
    }

    protected override async Task<Refusal?> PrepareAsync(Run run, CancellationToken ct)
    {
        var ctx = run;
        var domain = run.Domain = await ctx.Db.StorageDomains.FirstOrDefaultAsync(d => d.Id == ctx.Request.DomainId, ct);
        if (domain is null) return Refusal.Missing("The storage domain does not exist (it may have been removed).");
        if (ctx.Request.RemovePool && !domain.PoolCreatedByPortal)
            return Refusal.BadInput($"The portal did not create the pool {domain.PoolName}, so it leaves it on the host; remove the domain without removing the pool.");
        var removal = await InspectAsync(ctx.Db, domain, ct);
        if (removal.Blocking is { } blocking) return new Refusal(blocking);
        run.Exported = removal.ExportedVms;
        if (removal.ExportedVms.Count > 0 && !ctx.Request.ExportedVmsConfirmed)
            return new Refusal($"{domain.Name} holds {removal.ExportedVms.Count} exported VM(s): {string.Join(", ", removal.ExportedVms)}. " +
                               "They stay in the pool, but the portal will no longer list them or import them. Confirm to remove the domain.");
        return null;
    }

    protected override async Task<object?> ExecuteCoreAsync(Run run, CancellationToken ct)
    {
        var domain = run.Domain!;
        run.Db.StorageDomains.Remove(domain);
        // The domain is gone from the portal either way; removing the pool follows (a pool libvirt will not let go is a
        // warning, retried later, not a failure).
        run.Commit(run.Request.RemovePool ? [new RemovePoolStep(domain.PoolName)] : []);
        await run.SaveAsync("removed", ct);
        var poolNote = run.Request.RemovePool
            ? $"the libvirt pool {domain.PoolName} was stopped and undefined (its data stays)"
            : $"the libvirt pool {domain.PoolName} is left as it is";
        run.AuditMessage = $"Storage domain {domain.Name} ({domain.Role}, {domain.Kind}) was removed; {poolNote}" +
                           (run.Exported.Count > 0 ? $"; {run.Exported.Count} exported VM(s) stay in the pool." : ".");
        return domain.Id;
    }

    protected override string FailureMessage(Run run, string reason) =>
        $"Failed to remove storage domain {run.Domain?.Name}: {reason}";
}
