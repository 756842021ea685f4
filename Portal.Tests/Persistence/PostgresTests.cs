using Microsoft.EntityFrameworkCore;
using Portal.Core;
using Portal.Core.Persistence;
using Portal.Core.Vms;
using Portal.Tests.Support;

namespace Portal.Tests.Persistence;

/// <summary>PostgreSQL as the production database. The model checks need no server; the rest run with PORTAL_TEST_POSTGRES.</summary>
public sealed class PostgresTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public void Model_ComparedWithThePostgresMigrations_HasNoChangeWithoutAMigration()
    {
        using var db = new PostgresPortalDbContext(new DbContextOptionsBuilder<PostgresPortalDbContext>()
            .UseNpgsql("Host=/nonexistent;Username=none;Database=none").Options);

        Assert.False(db.Database.HasPendingModelChanges(), "The model changed without a PostgreSQL migration: run scripts/add-migration.sh NAME.");
        Assert.NotEmpty(db.Database.GetMigrations());
    }

    [Fact]
    public void Configuration_PostgresWithoutConnectionString_IsRefusedWithTheSettingToSet()
    {
        var dir = PortalFixture.NewDataDirectory();
        using var host = PortalFixture.BuildHost(dir, settings: new Dictionary<string, string?> { ["Database:Provider"] = "PostgreSQL", ["ConnectionStrings:Portal"] = "" });

        var ex = Assert.Throws<PortalStartupException>(() => host.Services.GetService(typeof(PortalConnection)));

        Assert.Contains("ConnectionStrings:Portal", ex.Message);
    }

    [Fact]
    public async Task Startup_OnPostgres_MigratesAndSeedsTheDemoInventory()
    {
        Assert.SkipUnless(TestDatabase.IsPostgres, "PORTAL_TEST_POSTGRES is not set (scripts/postgres.sh start prints a value).");
        await using var portal = await PortalFixture.StartAsync();
        await using var db = await portal.DbAsync();

        Assert.IsType<PostgresPortalDbContext>(db);
        Assert.Equal("Npgsql.EntityFrameworkCore.PostgreSQL", db.Database.ProviderName);
        Assert.Empty(await db.Database.GetPendingMigrationsAsync(Ct));
        Assert.Contains(await portal.Queries.VmsAsync(Ct), v => v.Name == "web-frontend");
    }

    [Fact]
    public async Task VmLock_OnPostgres_HoldsAcrossPortalProcesses()
    {
        Assert.SkipUnless(TestDatabase.IsPostgres, "PORTAL_TEST_POSTGRES is not set (scripts/postgres.sh start prints a value).");
        await using var portal = await PortalFixture.StartAsync();
        var vm = await portal.VmIdAsync("web-frontend");
        // A second portal process on the same database: its own in-memory locks, the same advisory locks.
        var other = new VmLocks(portal.Get<PortalConnection>());

        var mine = portal.Locks.TryAcquire(vm, "Create snapshot", out _);
        Assert.NotNull(mine);
        Assert.Null(other.TryAcquire(vm, "Run", out var heldBy));
        Assert.Equal(VmLocks.OtherInstance, heldBy);

        mine.Dispose();
        using var theirs = other.TryAcquire(vm, "Run", out _);
        Assert.NotNull(theirs);
        Assert.Null(portal.Locks.TryAcquire(vm, "Stop", out heldBy));
        Assert.Equal(VmLocks.OtherInstance, heldBy);
    }
}
