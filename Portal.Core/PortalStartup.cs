using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Portal.Core.Clusters;
using Portal.Core.Hosts;
using Portal.Core.Hypervisor;
using Portal.Core.Libvirt;
using Portal.Core.Persistence;
using Portal.Core.Storage;
using Portal.Core.Vms;

namespace Portal.Core;

/// <summary>
/// What must hold before the portal serves requests (<see cref="OpenDatabaseAsync"/>: the database migrated, the
/// hosts' rows known), and what must hold before commands run on a host's VMs (<see cref="ConnectHostsAsync"/>: the
/// configured host reachable, the inventory seeded and reconciled, interrupted operations recovered). The portal runs
/// the first before it listens and the second while it listens. Every failure becomes one
/// <see cref="PortalStartupException"/> sentence.
/// </summary>
public static class PortalStartup
{
    /// <summary>Both halves in order, as a portal that waits for everything before serving (tests, tools).</summary>
    public static async Task InitializeAsync(IServiceProvider services, CancellationToken ct = default)
    {
        await OpenDatabaseAsync(services, ct);
        await ConnectHostsAsync(services, ct);
    }

    /// <summary>
    /// The database migrated (skipped when no migration is pending: <c>Migrate</c> itself costs a model diff) and the
    /// hosts' rows loaded, each Connecting, so that pages can show them and commands are refused with the reason.
    /// </summary>
    public static async Task OpenDatabaseAsync(IServiceProvider services, CancellationToken ct = default)
    {
        var options = services.GetRequiredService<IOptions<PortalOptions>>().Value;
        var connection = services.GetRequiredService<PortalConnection>();
        var readiness = services.GetRequiredService<PortalReadiness>();
        Directory.CreateDirectory(options.DataDirectory);
        if (!OperatingSystem.IsWindows())
            File.SetUnixFileMode(options.DataDirectory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);

        readiness.Enter("migrating the database");
        try
        {
            await using var db = await services.GetRequiredService<IDbContextFactory<PortalDbContext>>().CreateDbContextAsync(ct);
            if ((await db.Database.GetPendingMigrationsAsync(ct)).Any())
                await db.Database.MigrateAsync(ct);
            // Write-ahead logging: a commit is one append instead of a rollback journal's several syncs (~1.3 ms
            // each here, and a snapshot commits seven times), and readers never wait for a writer. Kept in the file.
            if (db.Database.IsSqlite())
            {
                await db.Database.ExecuteSqlRawAsync("PRAGMA journal_mode=WAL;", ct);
                // Owner only: the database holds password hashes and the audit log. SQLite gives -wal and -shm the mode of the database file.
                if (!OperatingSystem.IsWindows() && db.Database.GetDbConnection() is SqliteConnection { DataSource: { Length: > 0 } file })
                    foreach (var f in new[] { file, file + "-wal", file + "-shm" })
                        if (File.Exists(f)) File.SetUnixFileMode(f, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            }
        }
        catch (Npgsql.NpgsqlException ex)
        {
            throw new PortalStartupException($"The PostgreSQL database '{connection.DatabaseDescription}' cannot be opened: {ex.Message} Check ConnectionStrings:Portal and that the server is running.", ex);
        }
        catch (SqliteException ex)
        {
            throw new PortalStartupException(ex.SqliteErrorCode switch
            {
                5 or 6 => $"The database '{connection.DatabaseDescription}' is locked by another process; stop the other portal or choose another ConnectionStrings:Portal.",
                11 or 26 => $"The database '{connection.DatabaseDescription}' is corrupt or not a SQLite database; restore it from a backup or move it away to start empty.",
                _ => $"The database '{connection.DatabaseDescription}' cannot be opened: {ex.SqliteErrorCode} {ex.Message}",
            }, ex);
        }
        await FollowMovedEmbeddedHostAsync(services, options, connection, ct);
        // The hosts known from before, Connecting: a VM page shows why its buttons are disabled while they connect.
        await services.GetRequiredService<HostConnections>().LoadAsync(ct);
        readiness.Enter($"connecting to {connection.LibvirtUri}"); // what comes next, in the background
    }

    /// <summary>
    /// Opens the configured host, seeds what the first start needs, reconciles the inventory with the host, marks lost
    /// memory volumes and recovers interrupted operations; then the portal is ready (<see cref="PortalReadiness"/>).
    /// Commands on a VM are refused until its host is reconciled, and a VM with an interrupted operation until that
    /// operation is recovered (<see cref="Commands.Rules.NoRecoveryPending"/>), so this may run while the portal serves.
    /// </summary>
    public static async Task ConnectHostsAsync(IServiceProvider services, CancellationToken ct = default)
    {
        var connection = services.GetRequiredService<PortalConnection>();
        var readiness = services.GetRequiredService<PortalReadiness>();
        try
        {
            var hosts = services.GetRequiredService<HostConnections>();
            IHypervisor hypervisor;
            readiness.Enter($"connecting to {connection.LibvirtUri}");
            // While libvirt opens the host (the embedded one parses every domain file: 2.3 s at 5,000 VMs, one core's
            // work), the memory-volume check's read runs once: its first run costs ~0.17 s at 5,000 volumes, later
            // ones ~0.02 s.
            var prepared = Task.Run(async () =>
            {
                await using var db = await services.GetRequiredService<IDbContextFactory<PortalDbContext>>().CreateDbContextAsync(ct);
                await MemoryVolumeStore.PrepareAsync(db, ct);
            }, ct);
            var opened = false;
            try
            {
                hypervisor = await hosts.OpenPrimaryAsync(ct);
                opened = true;
            }
            catch (LibvirtUnavailableException ex) { throw new PortalStartupException(ex.Message, ex); }
            catch (HypervisorException ex)
            {
                throw new PortalStartupException($"libvirt could not open '{connection.LibvirtUri}': {ex.LibvirtMessage} Check Libvirt:Uri and that libvirtd is running there.", ex);
            }
            finally
            {
                // A start that fails here reports it only once the read beside it has ended: nothing touches the
                // database after start-up gave up (a caller may dispose the services or remove the folder next).
                if (!opened) await Task.WhenAny(prepared); // its own outcome is not the failure reported
            }

            await prepared;
            await SeedAsync(services, hypervisor, ct);
            // The other hosts are connected by the running HostConnections service; their VMs join the inventory then.
            await hosts.LoadAsync(ct);
            readiness.Enter("reconciling the VMs with the host");
            await services.GetRequiredService<VmInventory>().ReconcileAsync(ct);
            await ReconcileMemoryVolumesAsync(services, ct);
            // Operations a stopped portal left half-way: finished where the host did the work, undone otherwise.
            readiness.Enter("recovering interrupted operations");
            await services.GetRequiredService<Commands.OperationRecovery>().RecoverAsync(ct);
            await services.GetRequiredService<Snapshots.InterruptedSnapshots>().SettleAsync(ct);
            readiness.MarkReady();
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            readiness.MarkFailed(ex);
            throw;
        }
    }

    /// <summary>Memory volumes whose dump the host lost are marked, so nothing tries to restore from them.</summary>
    public static async Task ReconcileMemoryVolumesAsync(IServiceProvider services, CancellationToken ct)
    {
        await using var db = await services.GetRequiredService<IDbContextFactory<PortalDbContext>>().CreateDbContextAsync(ct);
        if (await services.GetRequiredService<MemoryVolumeStore>().ReconcileAsync(db, ct))
            services.GetRequiredService<PortalNotifier>().Publish(new VmInventoryChanged(Reconciled: true));
    }

    /// <summary>The first start: clusters, the host and its storage domains.</summary>
    private static async Task SeedAsync(IServiceProvider services, IHypervisor hypervisor, CancellationToken ct)
    {
        var libvirt = services.GetRequiredService<IOptions<LibvirtOptions>>().Value;
        await using var db = await services.GetRequiredService<IDbContextFactory<PortalDbContext>>().CreateDbContextAsync(ct);
        if (!await db.Clusters.AnyAsync(ct))
        {
            db.Clusters.Add(new Cluster { Name = DemoNode.ModernCluster, CompatibilityVersion = DemoNode.ModernVersion });
            if (hypervisor.IsTestDriver) db.Clusters.Add(new Cluster { Name = DemoNode.LegacyCluster, CompatibilityVersion = DemoNode.LegacyVersion });
            await db.SaveChangesAsync(ct);
        }
        if (!await db.Hosts.AnyAsync(h => h.Uri == hypervisor.Uri, ct))
        {
            var cluster = await db.Clusters.OrderBy(c => c.Name == DemoNode.ModernCluster ? 0 : 1).FirstAsync(ct);
            var name = await FreeHostNameAsync(db, hypervisor.IsTestDriver ? DemoNode.HostName : HostName(hypervisor.Uri), ct);
            db.Hosts.Add(new Host { Name = name, Uri = hypervisor.Uri, ClusterId = cluster.Id });
            await db.SaveChangesAsync(ct);
        }
        var dataCenter = await db.StorageDomains.Select(d => (Guid?)d.DataCenterId).FirstOrDefaultAsync(ct) ?? Guid.NewGuid();
        var pools = hypervisor.IsTestDriver
            ? new[] { (DemoNode.DataPool, StorageRole.Data), (DemoNode.ExportPool, StorageRole.Export) }
            : libvirt.DataPools.Select(p => (p, StorageRole.Data)).Concat(libvirt.ExportPools.Select(p => (p, StorageRole.Export))).ToArray();
        foreach (var (pool, role) in pools)
        {
            if (await db.StorageDomains.AnyAsync(d => d.PoolName == pool, ct)) continue;
            db.StorageDomains.Add(new StorageDomain { Name = pool, PoolName = pool, Kind = await KindOfConfiguredPoolAsync(hypervisor, pool, role, ct), Role = role, DataCenterId = dataCenter });
        }
        await db.SaveChangesAsync(ct);
    }

    /// <summary>
    /// A configured pool's kind comes from libvirt's pool type: a <c>disk</c> or <c>logical</c> pool is a Block domain,
    /// a directory is a File domain. Export domains hold OVF files, so they must be directories.
    /// </summary>
    private static async Task<StorageKind> KindOfConfiguredPoolAsync(IHypervisor hypervisor, string pool, StorageRole role, CancellationToken ct)
    {
        var setting = role == StorageRole.Data ? "Libvirt:DataPools" : "Libvirt:ExportPools";
        PoolInfo info;
        try { info = await hypervisor.GetPoolAsync(pool, ct); }
        catch (HypervisorException ex)
        {
            throw new PortalStartupException($"{setting} names the storage pool '{pool}', which the host cannot give: {ex.LibvirtMessage} Define it (virsh pool-define-as) or remove it from the configuration.", ex);
        }
        var kind = StorageDomain.KindOf(info.Type)
                   ?? throw new PortalStartupException($"{setting} names the storage pool '{pool}' of type '{info.Type}'; the portal keeps memory volumes in dir, fs, netfs, disk and logical pools.");
        if (role == StorageRole.Export && kind != StorageKind.File)
            throw new PortalStartupException($"{setting} names the {info.Type} pool '{pool}'; an export domain holds OVF files, so it must be a directory pool.");
        return kind;
    }

    /// <summary>
    /// The embedded host's URI names the node file in the data folder, so a data folder that moved (restored to another
    /// path, mounted elsewhere, copied for a second portal) leaves the host's row naming the old file. It is the same
    /// host: its row follows the folder and keeps its VMs and storage domains, instead of the start adding a second row
    /// under the same name (which the unique name refused, and the portal never became ready).
    /// </summary>
    private static async Task FollowMovedEmbeddedHostAsync(IServiceProvider services, PortalOptions options, PortalConnection connection, CancellationToken ct)
    {
        var uri = connection.LibvirtUri;
        if (uri != DemoNode.UriIn(options.DataDirectory)) return;
        await using var db = await services.GetRequiredService<IDbContextFactory<PortalDbContext>>().CreateDbContextAsync(ct);
        if (await db.Hosts.AnyAsync(h => h.Uri == uri, ct)) return;
        var moved = (await db.Hosts.Where(h => h.Uri.StartsWith("test:///")).ToListAsync(ct))
            .Where(h => DemoNode.IsEmbeddedNodeUri(h.Uri))
            .OrderBy(h => h.Name == DemoNode.HostName ? 0 : 1)
            .FirstOrDefault();
        if (moved is null) return;
        var before = moved.Uri;
        moved.Uri = uri;
        await db.SaveChangesAsync(ct);
        await services.GetRequiredService<Audit.AuditLog>().WriteAsync(Auth.Actor.System.UserName, null, null, Audit.AuditOperations.MoveHost, Audit.AuditOutcome.Warning,
            $"The data folder moved: host {moved.Name} now uses the node file {uri["test://".Length..]} (it used {before["test://".Length..]}); its VMs and storage domains stay with it.");
    }

    /// <summary><paramref name="wanted"/>, or with -2, -3… when another host (one added on the Hosts page, or a former configured host) has it.</summary>
    private static async Task<string> FreeHostNameAsync(PortalDbContext db, string wanted, CancellationToken ct)
    {
        var taken = (await db.Hosts.Select(h => h.Name).ToListAsync(ct)).ToHashSet(StringComparer.OrdinalIgnoreCase);
        var name = wanted;
        for (var i = 2; taken.Contains(name); i++) name = $"{wanted}-{i}";
        return name;
    }

    private static string HostName(string uri) =>
        System.Uri.TryCreate(uri, UriKind.Absolute, out var u) && !string.IsNullOrEmpty(u.Host) ? u.Host : "localhost";
}

/// <summary>The resolved database and hypervisor addresses.</summary>
public sealed class PortalConnection(string databaseConnectionString, string databaseDescription, string libvirtUri)
{
    public string DatabaseConnectionString => databaseConnectionString;
    public string DatabaseDescription => databaseDescription;
    public string LibvirtUri => libvirtUri;
    public Persistence.DatabaseProvider DatabaseProvider { get; init; } = Persistence.DatabaseProvider.Sqlite;
}
