using Microsoft.EntityFrameworkCore;
using Portal.Core.Snapshots;
using Portal.Core.Storage;

namespace Portal.Core;

public enum MemoryVolumeSort { Size, Saved, Vm }

/// <summary>A page of one storage domain's memory volumes; the search matches a part of the VM's name or of a snapshot's description.</summary>
public sealed record MemoryVolumeQuery(Guid DomainId, int Page, int PageSize, string? Search = null,
    MemoryVolumeSort SortBy = MemoryVolumeSort.Size, bool Descending = true);

/// <summary>
/// A memory volume as a storage domain's list shows it: the VM whose snapshots keep it, the snapshot that saved it
/// (<paramref name="Snapshot"/>; <paramref name="Snapshots"/> counts all that share it), its size and when it was saved.
/// </summary>
/// <param name="VmId">Null only for a volume no snapshot refers to any more (its removal was interrupted; start-up collects it).</param>
/// <param name="IsMissingOnHost">The host lost the dump: the record is kept so its snapshots can be removed; it takes no space.</param>
public sealed record MemoryVolumeRow(Guid Id, Guid? VmId, string? VmName, string? Snapshot, int Snapshots, long SizeBytes,
    DateTime SavedAt, bool IsMissingOnHost);

public sealed partial class PortalQueries
{
    /// <summary>
    /// One page of a storage domain's memory volumes, filtered, sorted and paged by the database: by default the largest
    /// first, since the list is where an administrator looks for the space to free. Each row is one query's sub-queries
    /// over the snapshots that refer to it (indexed by memory volume); no snapshot's XML is read.
    /// </summary>
    public async Task<GridPage<MemoryVolumeRow>> MemoryVolumePageAsync(MemoryVolumeQuery query, CancellationToken ct = default)
    {
        var size = Math.Clamp(query.PageSize, 1, 500);
        var page = Math.Max(0, query.Page);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var volumes = db.MemoryVolumes.AsNoTracking().Where(m => m.StorageDomainId == query.DomainId);
        if (query.Search?.Trim() is { Length: > 0 } text)
        {
            var term = text.ToLowerInvariant();
            volumes = volumes.Where(m => db.Snapshots.Any(s => s.MemoryVolumeId == m.Id
                && (s.Description.ToLower().Contains(term) || db.Vms.Any(v => v.Id == s.VmId && v.Name.ToLower().Contains(term)))));
        }
        var total = await volumes.CountAsync(ct);
        // The snapshot that saved the memory: the oldest one that is not the VM's Active snapshot (which shares it only
        // until the VM's next run restores it), or the Active one when it is the last.
        // Scalar sub-queries, one value each: SQLite has no APPLY for a sub-query's whole row.
        var rows = volumes.Select(m => new
        {
            Volume = m,
            VmId = db.Snapshots.Where(s => s.MemoryVolumeId == m.Id).OrderBy(s => s.Type == SnapshotType.Active).ThenBy(s => s.CreatedAt)
                .Select(s => (Guid?)s.VmId).FirstOrDefault(),
            Snapshot = db.Snapshots.Where(s => s.MemoryVolumeId == m.Id).OrderBy(s => s.Type == SnapshotType.Active).ThenBy(s => s.CreatedAt)
                .Select(s => s.Description).FirstOrDefault(),
            Count = db.Snapshots.Count(s => s.MemoryVolumeId == m.Id),
        }).Select(r => new
        {
            r.Volume, r.VmId, r.Snapshot, r.Count,
            VmName = db.Vms.Where(v => v.Id == r.VmId).Select(v => v.Name).FirstOrDefault(),
        });
        var d = query.Descending;
        var ordered = query.SortBy switch
        {
            MemoryVolumeSort.Saved => d ? rows.OrderByDescending(r => r.Volume.CreatedAt) : rows.OrderBy(r => r.Volume.CreatedAt),
            MemoryVolumeSort.Vm => d ? rows.OrderByDescending(r => r.VmName).ThenByDescending(r => r.Volume.CreatedAt)
                : rows.OrderBy(r => r.VmName).ThenBy(r => r.Volume.CreatedAt),
            // A lost dump takes no space: it sorts as none.
            _ => d ? rows.OrderByDescending(r => r.Volume.IsMissingOnHost ? 0 : r.Volume.SizeBytes).ThenByDescending(r => r.Volume.CreatedAt)
                : rows.OrderBy(r => r.Volume.IsMissingOnHost ? 0 : r.Volume.SizeBytes).ThenBy(r => r.Volume.CreatedAt),
        };
        var shown = await ordered.ThenBy(r => r.Volume.Id).Skip(page * size).Take(size)
            .Select(r => new MemoryVolumeRow(r.Volume.Id, r.VmId, r.VmName, r.Snapshot, r.Count, r.Volume.SizeBytes, r.Volume.CreatedAt,
                r.Volume.IsMissingOnHost))
            .ToListAsync(ct);
        return new GridPage<MemoryVolumeRow>(shown, total);
    }
}
