using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
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
}
