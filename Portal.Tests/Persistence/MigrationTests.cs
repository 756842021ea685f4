using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Portal.Core.Persistence;
using Portal.Tests.Support;

namespace Portal.Tests.Persistence;

public sealed class MigrationTests : IDisposable
{
    private readonly string _dir = PortalFixture.NewDataDirectory();
    private readonly string _cs;

    public MigrationTests()
    {
        Directory.CreateDirectory(_dir);
        _cs = $"Data Source={Path.Combine(_dir, "empty.db")}";
    }

    public void Dispose()
    {
        SqliteConnection.ClearPool(new SqliteConnection(_cs));
        Directory.Delete(_dir, recursive: true);
    }

    private PortalDbContext NewContext() => new(new DbContextOptionsBuilder<PortalDbContext>().UseSqlite(_cs).Options);

    [Fact]
    public async Task Migrate_EmptyDatabase_CreatesEveryTableAndLeavesNothingPending()
    {
        await using var db = NewContext();

        await db.Database.MigrateAsync(TestContext.Current.CancellationToken);

        Assert.Empty(await db.Database.GetPendingMigrationsAsync(TestContext.Current.CancellationToken));
        Assert.NotEmpty(await db.Database.GetAppliedMigrationsAsync(TestContext.Current.CancellationToken));
        var tables = await db.Database.SqlQueryRaw<string>("SELECT name AS Value FROM sqlite_master WHERE type = 'table'")
            .ToListAsync(TestContext.Current.CancellationToken);
        Assert.Subset(tables.ToHashSet(),
            new HashSet<string> { "Clusters", "Hosts", "StorageDomains", "Vms", "VmStatusTransitions", "Snapshots", "MemoryVolumes", "AuditEntries", "AspNetUsers", "AspNetRoles" });
    }

    [Fact]
    public async Task Migrate_EmptyDatabase_EveryEntitySetIsQueryable()
    {
        await using var db = NewContext();
        await db.Database.MigrateAsync(TestContext.Current.CancellationToken);

        // Each query fails if a mapped column is missing from the migrated schema.
        Assert.Empty(await db.Clusters.ToListAsync(TestContext.Current.CancellationToken));
        Assert.Empty(await db.Hosts.ToListAsync(TestContext.Current.CancellationToken));
        Assert.Empty(await db.StorageDomains.ToListAsync(TestContext.Current.CancellationToken));
        Assert.Empty(await db.Vms.ToListAsync(TestContext.Current.CancellationToken));
        Assert.Empty(await db.VmStatusTransitions.ToListAsync(TestContext.Current.CancellationToken));
        Assert.Empty(await db.Snapshots.ToListAsync(TestContext.Current.CancellationToken));
        Assert.Empty(await db.MemoryVolumes.ToListAsync(TestContext.Current.CancellationToken));
        Assert.Empty(await db.AuditEntries.ToListAsync(TestContext.Current.CancellationToken));
    }

    [Fact]
    public void Model_ComparedWithTheMigrations_HasNoChangeWithoutAMigration()
    {
        using var db = NewContext();

        Assert.False(db.Database.HasPendingModelChanges(), "The model changed without a migration: run the 'dotnet ef migrations add' command from PortalDbContext's doc comment.");
    }

    [Fact]
    public async Task Migrate_BlockStorage_GivesExistingMemoryVolumesTheirGuidNames()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var db = NewContext();
        var migrator = db.GetService<Microsoft.EntityFrameworkCore.Migrations.IMigrator>();
        await migrator.MigrateAsync("20261126135954_Initial", ct);
        var domain = Guid.NewGuid();
        var dump = Guid.NewGuid();
        var conf = Guid.NewGuid();
        // EF Core writes GUIDs to SQLite in upper case; the volumes on the host were named in lower case.
        await db.Database.ExecuteSqlRawAsync(
            "INSERT INTO StorageDomains (Id, Name, Kind, Role, PoolName, DataCenterId) VALUES ({0}, 'data', 'File', 'Data', 'data', {1})",
            [domain.ToString().ToUpperInvariant(), Guid.NewGuid().ToString().ToUpperInvariant()], ct);
        await db.Database.ExecuteSqlRawAsync(
            "INSERT INTO MemoryVolumes (Id, StorageDomainId, DumpImageId, DumpVolumeId, ConfImageId, ConfVolumeId, DumpPath, ConfPath, SizeBytes, CreatedAt) " +
            "VALUES ({0}, {1}, {2}, {3}, {4}, {5}, '/d', '/c', 1, '2026-11-26 00:00:00')",
            [Guid.NewGuid().ToString().ToUpperInvariant(), domain.ToString().ToUpperInvariant(), Guid.NewGuid().ToString().ToUpperInvariant(),
             dump.ToString().ToUpperInvariant(), Guid.NewGuid().ToString().ToUpperInvariant(), conf.ToString().ToUpperInvariant()], ct);

        await db.Database.MigrateAsync(ct);

        var mv = await db.MemoryVolumes.SingleAsync(ct);
        Assert.Equal((dump.ToString(), conf.ToString()), (mv.DumpVolumeName, mv.ConfVolumeName));
        Assert.False((await db.StorageDomains.SingleAsync(ct)).PoolCreatedByPortal);
    }
}
