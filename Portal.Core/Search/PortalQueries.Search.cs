using Microsoft.EntityFrameworkCore;
using Portal.Core.Audit;
using Portal.Core.Clusters;
using Portal.Core.Hosts;
using Portal.Core.Search;
using Portal.Core.Storage;

namespace Portal.Core;

/// <summary>The collections as an oVirt search selects them: filtered, sorted and paged by the database.</summary>
public sealed partial class PortalQueries
{
    public async Task<IReadOnlyList<VmRow>> SearchVmsAsync(CollectionSearch<Vms.Vm> search, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var vms = search.ApplyTo(db.Vms.AsNoTracking(), v => v.Name, false, CollectionSearch<Vms.Vm>.DialectOf(db));
        return (await Project(db, vms).ToListAsync(ct)).Select(Row).ToList();
    }

    /// <summary>The audit log, newest first unless the search sorts otherwise.</summary>
    public async Task<IReadOnlyList<AuditEntry>> SearchAuditAsync(CollectionSearch<AuditEntry> search, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await search.ApplyTo(db.AuditEntries.AsNoTracking(), a => a.Id, true, CollectionSearch<AuditEntry>.DialectOf(db)).ToListAsync(ct);
    }

    public async Task<IReadOnlyList<Host>> SearchHostsAsync(CollectionSearch<Host> search, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await search.ApplyTo(db.Hosts.AsNoTracking(), h => h.Name, false, CollectionSearch<Host>.DialectOf(db)).Include(h => h.Cluster).ToListAsync(ct);
    }

    public async Task<IReadOnlyList<Cluster>> SearchClustersAsync(CollectionSearch<Cluster> search, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await search.ApplyTo(db.Clusters.AsNoTracking(), c => c.Name, false, CollectionSearch<Cluster>.DialectOf(db)).ToListAsync(ct);
    }

    public async Task<IReadOnlyList<StorageDomain>> SearchStorageDomainsAsync(CollectionSearch<StorageDomain> search, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await search.ApplyTo(db.StorageDomains.AsNoTracking(), d => d.Name, false, CollectionSearch<StorageDomain>.DialectOf(db)).ToListAsync(ct);
    }
}
