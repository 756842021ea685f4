using Microsoft.EntityFrameworkCore;
using Portal.Core.Audit;
using Portal.Core.Clusters;
using Portal.Core.Hosts;
using Portal.Core.Persistence;
using Portal.Core.Snapshots;
using Portal.Core.Storage;
using Portal.Core.Vms;

namespace Portal.Core;

public sealed record VmRow(Guid Id, string Name, string Cluster, string CompatibilityVersion, bool ClusterSupportsMemory,
    string? Host, int MemoryMiB, int VideoRamKiB, bool IsStateless, VmStatus Status, DateTime StatusSince, bool IsMissingOnHost,
    bool InPreview, bool ActiveHasMemory, string? LockedBy)
{
    /// <summary>Why the VM's host cannot be reached now ("Host X is not connected: …"); null while it is connected.</summary>
    public string? HostProblem { get; init; }

    /// <summary>The "Active VM before the preview" snapshot exists.</summary>
    public bool HasPreviewSnapshot { get; init; }

    /// <summary>A Stateless snapshot exists: the VM runs (or last ran) stateless.</summary>
    public bool RunningStateless { get; init; }

    /// <summary>The description of a Locked snapshot, or null.</summary>
    public string? LockedSnapshot { get; init; }

    /// <summary>The Active snapshot's memory volume is gone from the host.</summary>
    public bool ActiveMemoryMissing { get; init; }

    /// <summary>An interrupted operation on the VM is still to be finished or undone.</summary>
    public bool RecoveryPending { get; init; }

    /// <summary>What the commands' rules need: pages ask the command (<c>WhyRefused(Facts)</c>) why a button is disabled.</summary>
    public Commands.VmFacts Facts => new(Id, Name, Status, LockedBy, HostProblem, IsMissingOnHost, ClusterSupportsMemory, IsStateless,
        InPreview, HasPreviewSnapshot, RunningStateless, LockedSnapshot, ActiveHasMemory, ActiveMemoryMissing, RecoveryPending);
}

/// <summary>
/// A VM as the REST API represents it: its own columns, its cluster and host, and the status from the monitor. No
/// snapshot flag (see <see cref="VmRow"/> for the pages' rows, which need them).
/// </summary>
/// <param name="Host">The host's name; null when the VM has no host recorded.</param>
/// <param name="HostUri">The host's libvirt URI, for the console's address.</param>
public sealed record VmResourceRow(Guid Id, string Name, int MemoryMiB, bool IsStateless, VmStatus Status, DateTime StatusSince,
    Guid ClusterId, string Cluster, string CompatibilityVersion, Guid? HostId, string? Host, string? HostUri);

/// <summary>The columns the VMs grid sorts by.</summary>
public enum VmSort { Name, Cluster, Host, Memory, Stateless, Status }

/// <summary>One page of the VMs grid: 0-based <paramref name="Page"/>, a search over name, status, cluster and host.</summary>
public sealed record VmGridQuery(int Page, int PageSize, string? Search = null, VmSort SortBy = VmSort.Name, bool Descending = false);

/// <summary>A page of rows and how many rows there are in all.</summary>
public sealed record GridPage<T>(IReadOnlyList<T> Items, int Total);

/// <summary>A host as the Hosts page lists it: its row, its connection, and how many of its VMs the portal has and runs.</summary>
/// <param name="Reconciled">Connected and its VMs reconciled since: commands may act on them (false while start-up reconciles).</param>
public sealed record HostRow(Guid Id, string Name, string Uri, string Cluster, bool IsPrimary, HostState State, string? Error, DateTime Since,
    int VmCount, int RunningVmCount, bool Reconciled = true);

public sealed record SnapshotRow(Guid Id, Guid VmId, string Description, DateTime CreatedAt, SnapshotType Type, SnapshotStatus Status,
    bool HasMemory, Guid? MemoryVolumeId, long? MemorySizeBytes, string? MemoryDomain, Guid? ParentId, bool MemoryMissing = false)
{
    public Commands.SnapshotFacts Facts => new(Id, Description, Type, Status, HasMemory, MemoryMissing);
}

/// <param name="PoolType">libvirt's pool type (<c>dir</c>, <c>disk</c>, <c>logical</c>…), null when the host cannot say.</param>
/// <param name="MemoryOfVms">The first <see cref="PortalQueries.MemoryVmNamesShown"/> VMs, by name, whose snapshots keep memory on the domain.</param>
/// <param name="MemoryVmCount">How many VMs keep memory on the domain (thousands, in a data center).</param>
/// <param name="MemoryVolumes">The memory volumes the host has; <paramref name="MemoryBytes"/> their size.</param>
/// <param name="MissingMemoryVolumes">Memory volumes whose dump the host lost: kept as records, taking no space.</param>
public sealed record StorageDomainRow(Guid Id, string Name, StorageKind Kind, StorageRole Role, string PoolName,
    long? CapacityBytes, long? FreeBytes, int MemoryVolumes, long MemoryBytes, string? Error,
    string? PoolType = null, bool PoolCreatedByPortal = false, IReadOnlyList<string>? MemoryOfVms = null, int MemoryVmCount = 0,
    int MissingMemoryVolumes = 0);

/// <summary>
/// A storage domain offered as a choice in a dialog: its name and kind, and the free space its pool reports (null, with
/// the reason, when the pool cannot be read).
/// </summary>
public sealed record StorageDomainChoice(Guid Id, string Name, StorageKind Kind, long? FreeBytes, string? Error);

/// <summary>The read side: plain projections, one context per query, statuses from the monitor.</summary>

public sealed partial class PortalQueries(IDbContextFactory<PortalDbContext> dbFactory, VmMonitor monitor, VmLocks locks, Hypervisor.IHypervisor hypervisor,
    HostConnections hosts)
{
    /// <summary>How many of the VMs keeping memory on a domain its row names; the rest are counted.</summary>
    public const int MemoryVmNamesShown = 5;

    /// <summary>Every storage domain with the host's view of its size and free space, and the memory volumes it holds.</summary>
    public async Task<IReadOnlyList<StorageDomainRow>> StorageDomainRowsAsync(CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var domains = await db.StorageDomains.AsNoTracking().OrderBy(d => d.Name).ToListAsync(ct);
        var memory = await db.MemoryVolumes.AsNoTracking().GroupBy(m => m.StorageDomainId)
            .Select(g => new
            {
                g.Key, Count = g.Count(m => !m.IsMissingOnHost), Bytes = g.Sum(m => m.IsMissingOnHost ? 0 : m.SizeBytes),
                Missing = g.Count(m => m.IsMissingOnHost),
            }).ToListAsync(ct);
        // Counted and named in the database: a domain may keep the memory of thousands of VMs.
        var owners = from x in db.Snapshots
                     join m in db.MemoryVolumes on x.MemoryVolumeId equals m.Id
                     join v in db.Vms on x.VmId equals v.Id
                     select new { m.StorageDomainId, VmId = v.Id, v.Name };
        var vmCounts = await owners.GroupBy(o => o.StorageDomainId)
            .Select(g => new { g.Key, Vms = g.Select(o => o.VmId).Distinct().Count() }).ToListAsync(ct);
        var rows = new List<StorageDomainRow>();
        foreach (var d in domains)
        {
            var m = memory.FirstOrDefault(x => x.Key == d.Id);
            var vmCount = vmCounts.FirstOrDefault(x => x.Key == d.Id)?.Vms ?? 0;
            var vms = vmCount == 0 ? [] : await owners.Where(o => o.StorageDomainId == d.Id).Select(o => o.Name).Distinct()
                .OrderBy(n => n).Take(MemoryVmNamesShown).ToListAsync(ct);
            var (pool, error) = await PoolStateAsync(d.PoolName, ct);
            rows.Add(new(d.Id, d.Name, d.Kind, d.Role, d.PoolName, pool?.CapacityBytes, pool?.AvailableBytes, m?.Count ?? 0, m?.Bytes ?? 0,
                error, pool?.Type, d.PoolCreatedByPortal, vms, vmCount, m?.Missing ?? 0));
        }
        return rows;
    }

    /// <summary>The host's view of a domain's pool, or null with libvirt's reason; a stopped pool is returned with a reason too.</summary>
    async Task<(Hypervisor.PoolInfo? Pool, string? Error)> PoolStateAsync(string poolName, CancellationToken ct)
    {
        try
        {
            var pool = await hypervisor.GetPoolAsync(poolName, ct);
            return (pool, pool.Active ? null : "The libvirt pool is not running.");
        }
        catch (Hypervisor.HypervisorException ex)
        {
            return (null, ex.LibvirtMessage);
        }
    }

    /// <summary>
    /// The domains of one role, by name, with their pools' free space: what a dialog needs to offer them. Unlike
    /// <see cref="StorageDomainRowsAsync"/> it counts no memory volumes and names no VMs, and asks libvirt only about the
    /// pools of that role: 0.3 ms against 41 ms at 5,007 VMs with 50,070 snapshots (benchmarks/README.md).
    /// </summary>
    public async Task<IReadOnlyList<StorageDomainChoice>> StorageDomainChoicesAsync(StorageRole role, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var domains = await db.StorageDomains.AsNoTracking().Where(d => d.Role == role).OrderBy(d => d.Name)
            .Select(d => new { d.Id, d.Name, d.Kind, d.PoolName }).ToListAsync(ct);
        var choices = new List<StorageDomainChoice>(domains.Count);
        foreach (var d in domains)
        {
            var (pool, error) = await PoolStateAsync(d.PoolName, ct);
            choices.Add(new(d.Id, d.Name, d.Kind, pool?.AvailableBytes, error));
        }
        return choices;
    }

    public async Task<IReadOnlyList<VmRow>> VmsAsync(CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return (await Project(db, db.Vms.OrderBy(v => v.Name)).ToListAsync(ct)).Select(Row).ToList();
    }

    public async Task<VmRow?> VmAsync(Guid id, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var data = await Project(db, db.Vms.Where(v => v.Id == id)).FirstOrDefaultAsync(ct);
        return data is null ? null : Row(data);
    }

    /// <summary>
    /// One page of the VMs grid, filtered, sorted and paged by the database. The search matches a part of the name,
    /// the cluster or the host (ignoring case) or the start of a status ("up", "down", "saving").
    /// </summary>
    public async Task<GridPage<VmRow>> VmPageAsync(VmGridQuery query, CancellationToken ct = default)
    {
        var size = Math.Clamp(query.PageSize, 1, 500);
        var page = Math.Max(0, query.Page);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        IQueryable<Vm> vms = db.Vms;
        if (query.Search?.Trim() is { Length: > 0 } text)
        {
            var term = text.ToLowerInvariant();
            var statuses = Enum.GetValues<VmStatus>().Where(s => s.ToString().StartsWith(text.Replace(" ", ""), StringComparison.OrdinalIgnoreCase)).ToList();
            vms = vms.Where(v => v.Name.ToLower().Contains(term) || v.Cluster!.Name.ToLower().Contains(term)
                                 || (v.Host != null && v.Host.Name.ToLower().Contains(term)) || statuses.Contains(v.Status));
        }
        var total = await vms.CountAsync(ct);
        var d = query.Descending;
        IOrderedQueryable<Vm> ordered = query.SortBy switch
        {
            VmSort.Cluster => d ? vms.OrderByDescending(v => v.Cluster!.Name) : vms.OrderBy(v => v.Cluster!.Name),
            VmSort.Host => d ? vms.OrderByDescending(v => v.Host!.Name) : vms.OrderBy(v => v.Host!.Name),
            VmSort.Memory => d ? vms.OrderByDescending(v => v.MemoryMiB) : vms.OrderBy(v => v.MemoryMiB),
            VmSort.Stateless => d ? vms.OrderByDescending(v => v.IsStateless) : vms.OrderBy(v => v.IsStateless),
            VmSort.Status => d ? vms.OrderByDescending(v => v.Status) : vms.OrderBy(v => v.Status),
            _ => d ? vms.OrderByDescending(v => v.Name) : vms.OrderBy(v => v.Name),
        };
        if (query.SortBy != VmSort.Name) ordered = ordered.ThenBy(v => v.Name);
        var rows = await Project(db, ordered.Skip(page * size).Take(size)).ToListAsync(ct);
        return new GridPage<VmRow>(rows.Select(Row).ToList(), total);
    }

    /// <summary>The VMs with these ids (those still there), for refreshing rows on screen.</summary>
    public async Task<IReadOnlyList<VmRow>> VmsAsync(IReadOnlyCollection<Guid> ids, CancellationToken ct = default)
    {
        if (ids.Count == 0) return [];
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return (await Project(db, db.Vms.Where(v => ids.Contains(v.Id))).ToListAsync(ct)).Select(Row).ToList();
    }

    /// <summary>
    /// What a VM row shows, as one SQL query: the flags come from EXISTS sub-queries over the snapshots (indexed by
    /// VM), never from loading the snapshots and their XML.
    /// </summary>
    internal static IQueryable<VmRowData> Project(PortalDbContext db, IQueryable<Vm> vms) => vms.AsNoTracking().Select(v => new VmRowData(
        v.Id, v.Name, v.Cluster!.Name, v.Cluster.CompatibilityVersion, v.HostId, v.Host != null ? v.Host.Name : null,
        v.MemoryMiB, v.VideoRamKiB, v.IsStateless, v.StatusSince, v.IsMissingOnHost,
        v.Snapshots.Any(s => s.Status == SnapshotStatus.InPreview),
        v.Snapshots.Any(s => s.Type == SnapshotType.Active && s.MemoryVolumeId != null),
        v.Snapshots.Any(s => s.Type == SnapshotType.Preview),
        v.Snapshots.Any(s => s.Type == SnapshotType.Stateless),
        v.Snapshots.Where(s => s.Status == SnapshotStatus.Locked).Select(s => s.Description).FirstOrDefault(),
        v.Snapshots.Any(s => s.Type == SnapshotType.Active && s.MemoryVolume != null && s.MemoryVolume.IsMissingOnHost),
        db.OperationJournal.Any(r => r.VmId == v.Id && !r.Committed)));

    internal sealed record VmRowData(Guid Id, string Name, string Cluster, string CompatibilityVersion, Guid? HostId, string? Host,
        int MemoryMiB, int VideoRamKiB, bool IsStateless, DateTime StatusSince, bool IsMissingOnHost, bool InPreview, bool ActiveHasMemory,
        bool HasPreviewSnapshot, bool RunningStateless, string? LockedSnapshot, bool ActiveMemoryMissing, bool RecoveryPending);

    private VmRow Row(VmRowData v) => new(v.Id, v.Name, v.Cluster, v.CompatibilityVersion,
        Version.Parse(v.CompatibilityVersion) >= Cluster.MemorySnapshotVersion,
        v.Host, v.MemoryMiB, v.VideoRamKiB, v.IsStateless, monitor.StatusOf(v.Id), v.StatusSince, v.IsMissingOnHost,
        v.InPreview, v.ActiveHasMemory, locks.HeldBy(v.Id))
    {
        HostProblem = hosts.HostOfVm(v.HostId)?.NotConnectedReason,
        HasPreviewSnapshot = v.HasPreviewSnapshot,
        RunningStateless = v.RunningStateless,
        LockedSnapshot = v.LockedSnapshot,
        ActiveMemoryMissing = v.ActiveMemoryMissing,
        RecoveryPending = v.RecoveryPending,
    };

    /// <summary>Every host with its connection state and its VMs counted, the primary first, then by name.</summary>
    public async Task<IReadOnlyList<HostRow>> HostRowsAsync(CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var rows = await db.Hosts.AsNoTracking().Include(h => h.Cluster).ToListAsync(ct);
        var vms = await db.Vms.AsNoTracking().Select(v => new { v.Id, v.HostId }).ToListAsync(ct);
        return rows.Select(h =>
            {
                var info = hosts.Find(h.Id);
                var primary = h.Uri == hosts.PrimaryUri;
                var mine = vms.Where(v => v.HostId == h.Id || (primary && v.HostId == null)).ToList();
                return new HostRow(h.Id, h.Name, h.Uri, h.Cluster!.Name, primary, info?.State ?? HostState.Connecting, info?.Error,
                    info?.Since ?? DateTime.UtcNow, mine.Count, mine.Count(v => Vm.IsRunning(monitor.StatusOf(v.Id))), info?.Reconciled ?? false);
            })
            .OrderBy(r => r.IsPrimary ? 0 : 1).ThenBy(r => r.Name, StringComparer.OrdinalIgnoreCase).ToList();
    }

    /// <summary>The VM's snapshots, newest first, with the Active ("Current") one on top.</summary>
    public async Task<IReadOnlyList<SnapshotRow>> SnapshotsAsync(Guid vmId, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var rows = await SnapshotRows(db.Snapshots.AsNoTracking().Where(s => s.VmId == vmId)).ToListAsync(ct);
        return rows.OrderBy(r => r.Type == SnapshotType.Active ? 0 : 1).ThenByDescending(r => r.CreatedAt).ToList();
    }

    /// <summary>One snapshot of the VM, or null: the row alone, whatever the number of its siblings.</summary>
    public async Task<SnapshotRow?> SnapshotAsync(Guid vmId, Guid snapshotId, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await SnapshotRows(db.Snapshots.AsNoTracking().Where(s => s.Id == snapshotId && s.VmId == vmId)).FirstOrDefaultAsync(ct);
    }

    private static IQueryable<SnapshotRow> SnapshotRows(IQueryable<Snapshot> snapshots) => snapshots
        .Select(s => new SnapshotRow(s.Id, s.VmId, s.Description, s.CreatedAt, s.Type, s.Status, s.MemoryVolumeId != null,
            s.MemoryVolumeId, s.MemoryVolume != null ? s.MemoryVolume.SizeBytes : null,
            s.MemoryVolume != null ? s.MemoryVolume.StorageDomain!.Name : null, s.ParentId, s.MemoryVolume != null && s.MemoryVolume.IsMissingOnHost));

    /// <summary>The VM a snapshot belongs to (snapshot ids are unique across VMs, as in oVirt), or null.</summary>
    public async Task<Guid?> SnapshotOwnerAsync(Guid snapshotId, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.Snapshots.Where(s => s.Id == snapshotId).Select(s => (Guid?)s.VmId).FirstOrDefaultAsync(ct);
    }

    public async Task<IReadOnlyList<VmStatusTransition>> TimelineAsync(Guid vmId, int max = 200, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var rows = await db.VmStatusTransitions.AsNoTracking().Where(t => t.VmId == vmId).OrderByDescending(t => t.Id).Take(max).ToListAsync(ct);
        rows.Reverse();
        return rows;
    }

    /// <summary>The newest entries (below <paramref name="beforeId"/>, for the next page), of one VM or matching a filter.</summary>
    public async Task<IReadOnlyList<AuditEntry>> AuditAsync(int max = 200, Guid? vmId = null, long? beforeId = null, AuditFilter? filter = null,
        CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var q = (filter ?? AuditFilter.None).ApplyTo(db.AuditEntries.AsNoTracking());
        if (filter?.Before is { } before)
        {
            // Where the log is read from: the newest entries before that time, found on the time's index (a seek, not a
            // walk of the million newer ones); the page below them is then read by id, on the filters' indexes. An id
            // follows the commit and a time the write, so the bound is the greatest id of the 100 newest by time.
            var newest = await db.AuditEntries.AsNoTracking().Where(a => a.At < before).OrderByDescending(a => a.At).Take(100).Select(a => a.Id).ToListAsync(ct);
            if (newest.Count == 0) return [];
            var bound = newest.Max();
            q = q.Where(a => a.Id <= bound);
        }
        if (vmId is { } id) q = q.Where(a => a.VmId == id);
        if (beforeId is { } b) q = q.Where(a => a.Id < b);
        return await q.OrderByDescending(a => a.Id).Take(Math.Clamp(max, 1, 1000)).ToListAsync(ct);
    }

    public async Task<IReadOnlyList<Cluster>> ClustersAsync(CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.Clusters.AsNoTracking().OrderBy(c => c.Name).ToListAsync(ct);
    }

    /// <summary>The cluster of the primary host (the portal's own URI): where Add host puts a host by default.</summary>
    public async Task<Guid?> PrimaryHostClusterIdAsync(CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.Hosts.AsNoTracking().Where(h => h.Uri == hosts.PrimaryUri).Select(h => (Guid?)h.ClusterId).FirstOrDefaultAsync(ct);
    }

    public async Task<IReadOnlyList<Host>> HostsAsync(CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.Hosts.AsNoTracking().Include(h => h.Cluster).OrderBy(h => h.Name).ToListAsync(ct);
    }

    public async Task<IReadOnlyList<StorageDomain>> StorageDomainsAsync(CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.StorageDomains.AsNoTracking().OrderBy(d => d.Name).ToListAsync(ct);
    }

    /// <summary>The host's storage pools that no storage domain uses yet, for "Add storage domain".</summary>
    public async Task<IReadOnlyList<Hypervisor.PoolInfo>> UnregisteredPoolsAsync(CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var used = (await db.StorageDomains.Select(d => d.PoolName).ToListAsync(ct)).ToHashSet();
        return (await hypervisor.ListPoolsAsync(ct)).Where(p => !used.Contains(p.Name)).ToList();
    }

    public async Task<IReadOnlyList<MemoryVolume>> MemoryVolumesAsync(CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.MemoryVolumes.AsNoTracking().Include(m => m.StorageDomain).ToListAsync(ct);
    }
}
