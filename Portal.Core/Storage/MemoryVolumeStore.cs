using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Portal.Core.Hypervisor;
using Portal.Core.Persistence;
using Portal.Core.Vms;

namespace Portal.Core.Storage;

/// <summary>Creates memory volumes on a storage domain and removes them when the last snapshot lets go.</summary>
public sealed partial class MemoryVolumeStore(IHypervisor hypervisor, TimeProvider clock, ILogger<MemoryVolumeStore> log)
{
    private const long MiB = 1024 * 1024;

    /// <summary>The configuration volume holds the domain XML; 1 MiB is far more than any domain needs.</summary>
    public const long ConfigVolumeBytes = MiB;

    /// <summary>oVirt's estimate of a memory dump: RAM + 200 MiB + video RAM.</summary>
    public static long EstimateBytes(Vm vm) => EstimateBytes(vm.MemoryMiB, vm.VideoRamKiB);

    public static long EstimateBytes(int memoryMiB, int videoRamKiB) => memoryMiB * MiB + 200 * MiB + videoRamKiB * 1024L;

    /// <summary>
    /// The data domain that will take the memory: the one asked for, or the first with room.
    /// Returns a reason instead when none has room.
    /// </summary>
    public async Task<(StorageDomain? Domain, string? Refusal)> ChooseDomainAsync(PortalDbContext db, Vm vm, Guid? wanted, CancellationToken ct)
    {
        var need = EstimateBytes(vm) + ConfigVolumeBytes;
        var candidates = await db.StorageDomains.Where(d => d.Role == StorageRole.Data && (wanted == null || d.Id == wanted))
            .OrderBy(d => d.Name).ToListAsync(ct);
        if (candidates.Count == 0)
            return (null, wanted is null ? "There is no data storage domain to hold the memory." : "The chosen storage domain does not exist or is not a data domain.");
        var seen = new List<string>();
        foreach (var d in candidates)
        {
            if (KnownRoom(d.PoolName, need)) return (d, null);
            PoolInfo pool;
            try { pool = await hypervisor.GetPoolAsync(d.PoolName, ct); }
            catch (HypervisorException ex) { seen.Add($"{d.Name}: {ex.LibvirtMessage}"); continue; }
            _space[d.PoolName] = (pool.AvailableBytes, clock.GetTimestamp());
            if (pool.AvailableBytes >= need) return (d, null);
            seen.Add($"{d.Name} has {pool.AvailableBytes / MiB} MiB free");
        }
        return (null, $"No storage domain has room for the memory: {need / MiB} MiB are needed ({string.Join("; ", seen)}).");
    }

    /// <summary>
    /// How long a pool's free space, read with a refresh (libvirt rescans every volume of the pool, which grows with the
    /// pool), answers the room check without reading it again.
    /// </summary>
    public static readonly TimeSpan SpaceKnownFor = TimeSpan.FromSeconds(60);

    // Per pool: the free bytes at the last refresh, less the dumps made since, and when that refresh was.
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, (long Available, long At)> _space = new();

    /// <summary>
    /// Whether the last refresh (under <see cref="SpaceKnownFor"/> old) showed at least twice the room needed: then nothing
    /// else written since can plausibly have taken it, and the check skips the host. Near the limit the space is
    /// always read again, so a refusal or an admission at the margin is decided on the current figure, as before.
    /// </summary>
    private bool KnownRoom(string pool, long need) =>
        _space.TryGetValue(pool, out var known) && clock.GetElapsedTime(known.At) < SpaceKnownFor && known.Available >= 2 * need;

    /// <summary>
    /// A memory volume not made yet: its ids, and the volume names the portal will ask for (the volume GUIDs), so the
    /// operation can journal how to delete it before the host makes it.
    /// </summary>
    public static MemoryVolume Plan(StorageDomain domain, long dumpBytes, DateTime now)
    {
        var mv = new MemoryVolume
        {
            StorageDomainId = domain.Id, DumpPath = "", ConfPath = "", DumpVolumeName = "", ConfVolumeName = "",
            SizeBytes = dumpBytes, CreatedAt = now,
        };
        (mv.DumpVolumeName, mv.ConfVolumeName) = (mv.DumpVolumeId.ToString(), mv.ConfVolumeId.ToString());
        return mv;
    }

    /// <summary>
    /// Creates the dump and configuration volumes. On a Block domain both are preallocated: a block volume cannot grow,
    /// so the dump's volume is the whole estimate from the start. On failure nothing is left behind.
    /// </summary>
    public Task<MemoryVolume> CreateAsync(StorageDomain domain, long dumpBytes, CancellationToken ct) =>
        CreateAsync(domain, Plan(domain, dumpBytes, clock.GetUtcNow().UtcDateTime), ct);

    /// <summary>Creates the volumes of a <see cref="Plan"/>ned memory volume; the names libvirt gives are kept in it.</summary>
    public async Task<MemoryVolume> CreateAsync(StorageDomain domain, MemoryVolume mv, CancellationToken ct)
    {
        await CreateDumpAsync(domain, mv, ct);
        try { await CreateConfAsync(domain, mv, ct); }
        catch
        {
            await hypervisor.DeleteVolumeAsync(domain.PoolName, mv.DumpVolumeName, CancellationToken.None);
            throw;
        }
        return mv;
    }

    /// <summary>The dump's volume: what must exist before libvirt writes the memory.</summary>
    public async Task CreateDumpAsync(StorageDomain domain, MemoryVolume mv, CancellationToken ct)
    {
        var dump = await hypervisor.CreateVolumeAsync(domain.PoolName, mv.DumpVolumeId.ToString(), mv.SizeBytes, domain.Kind == StorageKind.Block, ct);
        (mv.DumpVolumeName, mv.DumpPath) = (dump.Name, dump.Path);
        // The dump will take up to its estimate: the known free space counts it from now.
        if (_space.TryGetValue(domain.PoolName, out var known)) _space.TryUpdate(domain.PoolName, (known.Available - mv.SizeBytes, known.At), known);
    }

    /// <summary>The configuration's volume, which nothing needs during the dump: a snapshot makes it after the dump's volume, before the dump (after the dump on a block domain).</summary>
    public async Task CreateConfAsync(StorageDomain domain, MemoryVolume mv, CancellationToken ct)
    {
        var conf = await hypervisor.CreateVolumeAsync(domain.PoolName, mv.ConfVolumeId.ToString(), ConfigVolumeBytes, domain.Kind == StorageKind.Block, ct);
        (mv.ConfVolumeName, mv.ConfPath) = (conf.Name, conf.Path);
    }

    /// <summary>Removes both volumes of a memory volume from the host (idempotent).</summary>
    public async Task DeleteVolumesAsync(MemoryVolume mv, string poolName)
    {
        await hypervisor.DeleteVolumeAsync(poolName, mv.DumpVolumeName, CancellationToken.None);
        await hypervisor.DeleteVolumeAsync(poolName, mv.ConfVolumeName, CancellationToken.None);
    }

    /// <summary>
    /// Deletes each memory volume no snapshot references any more (after the caller saved its changes).
    /// Returns how many went. A volume the host refuses to delete stays in the database, so it is never lost track of.
    /// </summary>
    public async Task<int> ReleaseUnreferencedAsync(PortalDbContext db, IEnumerable<Guid?> candidates, CancellationToken ct)
    {
        var removed = 0;
        foreach (var id in candidates.OfType<Guid>().Distinct())
        {
            if (await db.Snapshots.AnyAsync(s => s.MemoryVolumeId == id, ct)) continue;
            var mv = await db.MemoryVolumes.Include(m => m.StorageDomain).FirstOrDefaultAsync(m => m.Id == id, ct);
            if (mv is null) continue;
            try
            {
                await DeleteVolumesAsync(mv, mv.StorageDomain!.PoolName);
            }
            catch (HypervisorException ex)
            {
                LogDeleteFailed(log, mv.Id, ex.Message);
                continue;
            }
            db.MemoryVolumes.Remove(mv);
            await db.SaveChangesAsync(ct);
            LogReleased(log, mv.Id);
            removed++;
        }
        return removed;
    }

    /// <summary>
    /// Removes every memory volume that no snapshot holds: what a failed operation could not delete because the host
    /// did not answer (libvirtd killed during a dump), or what a portal that died half-way left. Returns the volumes
    /// removed; a volume the host still refuses stays recorded for the next pass.
    /// </summary>
    public async Task<IReadOnlyList<MemoryVolume>> CollectOrphansAsync(PortalDbContext db, CancellationToken ct)
    {
        var orphans = await db.MemoryVolumes.Include(m => m.StorageDomain)
            .Where(m => !db.Snapshots.Any(s => s.MemoryVolumeId == m.Id)).ToListAsync(ct);
        var removed = new List<MemoryVolume>();
        foreach (var mv in orphans)
        {
            try { await DeleteVolumesAsync(mv, mv.StorageDomain!.PoolName); }
            catch (HypervisorException ex)
            {
                LogDeleteFailed(log, mv.Id, ex.Message);
                continue;
            }
            db.MemoryVolumes.Remove(mv);
            try { await db.SaveChangesAsync(ct); }
            catch (DbUpdateConcurrencyException) { db.ChangeTracker.Clear(); continue; } // its own operation removed the row first
            LogReleased(log, mv.Id);
            removed.Add(mv);
        }
        return removed;
    }

    /// <summary>
    /// Compares the memory volumes the database records with what the host's pools hold: a volume whose dump the host
    /// no longer has is marked missing (shown, never restored from), one that came back is unmarked. A pool the host
    /// cannot list is left as it is. Returns whether anything changed.
    /// </summary>
    public async Task<bool> ReconcileAsync(PortalDbContext db, CancellationToken ct)
    {
        // A projection, and one update per direction for what changed: read as entities, 5,000 volumes cost ~200 ms.
        var volumes = await RecordedVolumesAsync(db, ct);
        var lost = new List<Guid>();
        var back = new List<Guid>();
        foreach (var pool in volumes.GroupBy(m => m.PoolName))
        {
            HashSet<string> names;
            try { names = (await hypervisor.ListVolumeNamesAsync(pool.Key, ct)).ToHashSet(); }
            catch (HypervisorException ex)
            {
                LogPoolUnreadable(log, pool.Key, ex.LibvirtMessage);
                continue;
            }
            foreach (var mv in pool)
            {
                var missing = !names.Contains(mv.DumpVolumeName);
                if (missing == mv.IsMissingOnHost) continue;
                (missing ? lost : back).Add(mv.Id);
                if (missing) LogMissing(log, mv.Id, mv.DumpVolumeName, pool.Key);
            }
        }
        if (lost.Count > 0) await db.MemoryVolumes.Where(m => lost.Contains(m.Id)).ExecuteUpdateAsync(u => u.SetProperty(m => m.IsMissingOnHost, true), ct);
        if (back.Count > 0) await db.MemoryVolumes.Where(m => back.Contains(m.Id)).ExecuteUpdateAsync(u => u.SetProperty(m => m.IsMissingOnHost, false), ct);
        return lost.Count + back.Count > 0;
    }

    private sealed record RecordedVolume(Guid Id, string DumpVolumeName, bool IsMissingOnHost, string PoolName);

    private static Task<List<RecordedVolume>> RecordedVolumesAsync(PortalDbContext db, CancellationToken ct) =>
        db.MemoryVolumes.AsNoTracking().Select(m => new RecordedVolume(m.Id, m.DumpVolumeName, m.IsMissingOnHost, m.StorageDomain!.PoolName)).ToListAsync(ct);

    /// <summary>
    /// Runs <see cref="ReconcileAsync"/>'s read of the database once, for start-up to call while libvirt opens the host:
    /// at 5,000 volumes its first run in a process costs ~0.17 s, a second ~0.02 s. Nothing read here is kept.
    /// </summary>
    public static async Task PrepareAsync(PortalDbContext db, CancellationToken ct) => await RecordedVolumesAsync(db, ct);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Memory volume {MemoryVolumeId}: the host's pool {Pool} no longer has its dump {Volume}; it is marked missing")]
    private static partial void LogMissing(ILogger log, Guid memoryVolumeId, string volume, string pool);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The memory volumes of pool {Pool} could not be checked: {Error}")]
    private static partial void LogPoolUnreadable(ILogger log, string pool, string error);

    [LoggerMessage(Level = LogLevel.Information, Message = "Memory volume {MemoryVolumeId} removed: no snapshot references it")]
    private static partial void LogReleased(ILogger log, Guid memoryVolumeId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Memory volume {MemoryVolumeId} could not be removed from the host: {Error}")]
    private static partial void LogDeleteFailed(ILogger log, Guid memoryVolumeId, string error);
}
