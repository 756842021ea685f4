using Microsoft.EntityFrameworkCore;
using Portal.Core.Audit;
using Portal.Core.Auth;
using Portal.Core.Persistence;
using Portal.Core.Snapshots;
using Portal.Core.Vms;

namespace Portal.E2E.Infrastructure;

/// <summary>
/// The backend half of an assertion: the running portal's own SQLite database, opened read-only with the portal's
/// <see cref="PortalDbContext"/> (so queries are typed and follow the model). The database is the truth for
/// snapshots, memory volumes, audit and users; each VM's status and its timed transitions are written there too
/// before the page hears of them. Every call opens and closes its own connection.
/// </summary>
public sealed class PortalDatabase(string path)
{
    /// <summary>A context for an ad hoc query; dispose it. Read-only: the portal is the only writer.</summary>
    public PortalDbContext Open() => new(new DbContextOptionsBuilder<PortalDbContext>()
        .UseSqlite($"Data Source={path};Mode=ReadOnly;Pooling=False")
        .UseQueryTrackingBehavior(QueryTrackingBehavior.NoTracking)
        .Options);

    public async Task<Vm> VmAsync(string name)
    {
        await using var db = Open();
        return await db.Vms.Include(v => v.Cluster).Include(v => v.Snapshots).ThenInclude(s => s.MemoryVolume)
                   .AsSplitQuery().SingleOrDefaultAsync(v => v.Name == name)
               ?? throw new InvalidOperationException($"The database has no VM named {name}.");
    }

    /// <summary>The VM's snapshots, oldest first.</summary>
    public async Task<IReadOnlyList<Snapshot>> SnapshotsAsync(string vmName)
    {
        await using var db = Open();
        return await db.Snapshots.Include(s => s.MemoryVolume).Where(s => db.Vms.Any(v => v.Id == s.VmId && v.Name == vmName))
            .OrderBy(s => s.CreatedAt).ToListAsync();
    }

    /// <summary>Every memory volume the portal has recorded, with its storage domain.</summary>
    public async Task<IReadOnlyList<Portal.Core.Storage.MemoryVolume>> MemoryVolumesAsync()
    {
        await using var db = Open();
        return await db.MemoryVolumes.Include(m => m.StorageDomain).ToListAsync();
    }

    /// <summary>The newest transition id of any VM: a mark to pass to <see cref="TransitionsAsync"/>.</summary>
    public async Task<long> TransitionMarkAsync()
    {
        await using var db = Open();
        return await db.VmStatusTransitions.MaxAsync(t => (long?)t.Id) ?? 0;
    }

    /// <summary>The VM's status changes after <paramref name="afterMark"/>, in order: the sequence a user saw, even the brief states.</summary>
    public async Task<IReadOnlyList<VmStatusTransition>> TransitionsAsync(string vmName, long afterMark = 0)
    {
        await using var db = Open();
        var vm = await db.Vms.SingleAsync(v => v.Name == vmName);
        return await db.VmStatusTransitions.Where(t => t.VmId == vm.Id && t.Id > afterMark).OrderBy(t => t.Id).ToListAsync();
    }

    /// <summary>The statuses the VM went through after <paramref name="afterMark"/>, e.g. [PoweringUp, Up].</summary>
    public async Task<IReadOnlyList<VmStatus>> StatusSequenceAsync(string vmName, long afterMark = 0) =>
        (await TransitionsAsync(vmName, afterMark)).Select(t => t.To).ToList();

    /// <summary>The newest audit entry id: a mark to pass to <see cref="AuditAsync"/>.</summary>
    public async Task<long> AuditMarkAsync()
    {
        await using var db = Open();
        return await db.AuditEntries.MaxAsync(a => (long?)a.Id) ?? 0;
    }

    /// <summary>Audit entries after <paramref name="afterMark"/>, oldest first, optionally for one VM.</summary>
    public async Task<IReadOnlyList<AuditEntry>> AuditAsync(long afterMark = 0, string? vmName = null)
    {
        await using var db = Open();
        var q = db.AuditEntries.Where(a => a.Id > afterMark);
        if (vmName is not null) q = q.Where(a => a.VmName == vmName);
        return await q.OrderBy(a => a.Id).ToListAsync();
    }

    /// <summary>
    /// Waits for <paramref name="count"/> audit entries after <paramref name="afterMark"/> (for one VM): the audit is
    /// written when a command ends, just after the page has shown its last status.
    /// </summary>
    public Task<IReadOnlyList<AuditEntry>> WaitForAuditAsync(long afterMark, string? vmName = null, int count = 1) =>
        Poll.UntilAsync(() => AuditAsync(afterMark, vmName), a => a.Count >= count, $"{count} audit entr{(count == 1 ? "y" : "ies")} for {vmName ?? "any VM"}");

    public async Task<PortalUser> UserAsync(string userName)
    {
        await using var db = Open();
        return await db.Users.SingleAsync(u => u.NormalizedUserName == userName.ToUpperInvariant());
    }
}
