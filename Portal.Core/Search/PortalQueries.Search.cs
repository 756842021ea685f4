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
    /// <summary>
    /// The VMs a search selects, as the API represents them: one query over the VMs with their cluster and host joined.
    /// None of the snapshot flags of <see cref="VmRow"/> is computed (the representation shows none of them); with
    /// 5,000 VMs those were 7 sub-queries per row and most of the time of <c>GET /vms</c>.
    /// </summary>
    public async Task<IReadOnlyList<VmResourceRow>> SearchVmsAsync(CollectionSearch<Vms.Vm> search, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var vms = search.ApplyTo(db.Vms.AsNoTracking(), v => v.Name, false, CollectionSearch<Vms.Vm>.DialectOf(db));
        return ResourceRows(await ProjectResource(vms).ToListAsync(ct));
    }

    /// <summary>One VM as the API represents it (<see cref="SearchVmsAsync"/>), or null.</summary>
    public async Task<VmResourceRow?> VmResourceAsync(Guid id, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var rows = ResourceRows(await ProjectResource(db.Vms.AsNoTracking().Where(v => v.Id == id)).ToListAsync(ct));
        return rows.Count == 0 ? null : rows[0];
    }

    private static IQueryable<VmResourceData> ProjectResource(IQueryable<Vms.Vm> vms) => vms.Select(v => new VmResourceData(
        v.Id, v.Name, v.MemoryMiB, v.IsStateless, v.StatusSince, v.ClusterId, v.Cluster!.Name, v.Cluster.CompatibilityVersion,
        v.HostId, v.Host != null ? v.Host.Name : null, v.Host != null ? v.Host.Uri : null));

    private List<VmResourceRow> ResourceRows(List<VmResourceData> rows)
    {
        var list = new List<VmResourceRow>(rows.Count);
        foreach (var v in rows)
            list.Add(new VmResourceRow(v.Id, v.Name, v.MemoryMiB, v.IsStateless, monitor.StatusOf(v.Id), v.StatusSince,
                v.ClusterId, v.Cluster, v.CompatibilityVersion, v.HostId, v.Host, v.HostUri));
        return list;
    }

    private sealed record VmResourceData(Guid Id, string Name, int MemoryMiB, bool IsStateless, DateTime StatusSince,
        Guid ClusterId, string Cluster, string CompatibilityVersion, Guid? HostId, string? Host, string? HostUri);

    /// <summary>The audit log, newest first unless the search sorts otherwise.</summary>
    /// <param name="afterId">Only the entries written after this one (oVirt's <c>from</c>): a range of the primary key.</param>
    public async Task<IReadOnlyList<AuditEntry>> SearchAuditAsync(CollectionSearch<AuditEntry> search, long? afterId = null, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var entries = db.AuditEntries.AsNoTracking();
        if (afterId is { } after) entries = entries.Where(a => a.Id > after);
        return await search.ApplyTo(entries, a => a.Id, true, CollectionSearch<AuditEntry>.DialectOf(db)).ToListAsync(ct);
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
