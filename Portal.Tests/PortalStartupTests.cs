using Microsoft.EntityFrameworkCore;
using Portal.Core;
using Portal.Core.Hosts;
using Portal.Core.Snapshots;
using Portal.Core.Storage;
using Portal.Core.Vms;
using Microsoft.Extensions.DependencyInjection;
using Portal.Tests.Support;

namespace Portal.Tests;

public sealed class PortalStartupTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Initialize_CorruptDatabaseFile_FailsWithOneClearSentence()
    {
        Assert.SkipWhen(TestDatabase.IsPostgres, "A corrupt SQLite file: the PostgreSQL run has no database file.");
        var dir = PortalFixture.NewDataDirectory();
        Directory.CreateDirectory(dir);
        var dbPath = Path.Combine(dir, "portal.db");
        await File.WriteAllBytesAsync(dbPath, Enumerable.Repeat((byte)'x', 8192).ToArray(), Ct);
        using var host = PortalFixture.BuildHost(dir);
        try
        {
            var ex = await Assert.ThrowsAsync<PortalStartupException>(() => PortalStartup.InitializeAsync(host.Services, Ct));

            Assert.Equal($"The database '{dbPath}' is corrupt or not a SQLite database; restore it from a backup or move it away to start empty.", ex.Message);
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public async Task Initialize_EmptyDataFolder_SeedsClustersHostAndStorageDomains()
    {
        await using var portal = await PortalFixture.StartAsync();
        await using var db = await portal.DbAsync();

        Assert.Equal(
            [(DemoNode.LegacyCluster, DemoNode.LegacyVersion), (DemoNode.ModernCluster, DemoNode.ModernVersion)],
            (await db.Clusters.OrderBy(c => c.Name).ToListAsync(Ct)).Select(c => (c.Name, c.CompatibilityVersion)));
        var host = await db.Hosts.SingleAsync(Ct);
        Assert.Equal(portal.Hypervisor.Uri, host.Uri);
        Assert.Equal(
            [(DemoNode.DataPool, StorageRole.Data), (DemoNode.ExportPool, StorageRole.Export)],
            (await db.StorageDomains.OrderBy(d => d.Name).ToListAsync(Ct)).Select(d => (d.PoolName, d.Role)));
    }

    [Fact]
    public async Task Initialize_DemoDomains_BecomeVmsWithClusterAndStatelessFlagFromTheirMetadata()
    {
        await using var portal = await PortalFixture.StartAsync();
        await using var db = await portal.DbAsync();

        var vms = await db.Vms.Include(v => v.Cluster).Include(v => v.Snapshots).OrderBy(v => v.Name).ToListAsync(Ct);

        Assert.Equal(
            [
                ("build-agent", "Production", false, VmStatus.Down), ("db-primary", "Production", false, VmStatus.Up),
                ("gpu-render", "Production", false, VmStatus.Up), ("kiosk-stateless", "Production", true, VmStatus.Down),
                ("legacy-erp", "Legacy", false, VmStatus.Up), ("legacy-reports", "Legacy", false, VmStatus.Down),
                ("web-frontend", "Production", false, VmStatus.Up),
            ],
            vms.Select(v => (v.Name, v.Cluster!.Name, v.IsStateless, v.Status)));
        Assert.All(vms, v =>
        {
            var active = Assert.Single(v.Snapshots);
            Assert.Equal((SnapshotType.Active, SnapshotStatus.Ok, (Guid?)null), (active.Type, active.Status, active.MemoryVolumeId));
            Assert.Contains($"<name>{v.Name}</name>", active.ConfigurationXml);
            Assert.Equal(v.Status, portal.Monitor.StatusOf(v.Id));
        });
        var web = vms.Single(v => v.Name == "web-frontend");
        Assert.Equal((1024, 16384), (web.MemoryMiB, web.VideoRamKiB));
    }

    [Fact]
    public async Task Initialize_SecondStartOnTheSameData_KeepsTheVmsAndTheirSnapshots()
    {
        var dir = PortalFixture.NewDataDirectory();
        try
        {
            using (var first = PortalFixture.BuildHost(dir))
            {
                await PortalStartup.InitializeAsync(first.Services, Ct);
            }
            using var second = PortalFixture.BuildHost(dir);

            await PortalStartup.InitializeAsync(second.Services, Ct);

            await using var db = await second.Services.GetRequiredService<IDbContextFactory<Portal.Core.Persistence.PortalDbContext>>().CreateDbContextAsync(Ct);
            Assert.Equal(7, await db.Vms.CountAsync(Ct));
            Assert.Equal(7, await db.Snapshots.CountAsync(Ct));
            Assert.Equal(2, await db.Clusters.CountAsync(Ct));
            Assert.Equal(2, await db.StorageDomains.CountAsync(Ct));
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(dir, recursive: true);
        }
    }
    [Fact]
    public async Task Initialize_DataFolderMoved_TheEmbeddedHostFollowsItWithItsVms()
    {
        var dir = PortalFixture.NewDataDirectory();
        var moved = PortalFixture.NewDataDirectory();
        // On PostgreSQL the test database is named after the first folder; the moved folder's portal is pointed at it.
        var database = TestDatabase.SettingsFor(dir);
        try
        {
            Guid hostId;
            List<(Guid Id, string Name, Guid? HostId)> vmsBefore;
            using (var first = PortalFixture.BuildHost(dir))
            {
                await PortalStartup.InitializeAsync(first.Services, Ct);
                await using var db = await DbOf(first);
                hostId = (await db.Hosts.SingleAsync(Ct)).Id;
                vmsBefore = (await db.Vms.OrderBy(v => v.Name).Select(v => new { v.Id, v.Name, v.HostId }).ToListAsync(Ct)).Select(v => (v.Id, v.Name, v.HostId)).ToList();
            }
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Move(dir, moved);
            using var second = PortalFixture.BuildHost(moved, settings: database);

            await PortalStartup.InitializeAsync(second.Services, Ct);

            await using (var db = await DbOf(second))
            {
                var host = await db.Hosts.SingleAsync(Ct);
                Assert.Equal((hostId, DemoNode.HostName, DemoNode.UriIn(moved)), (host.Id, host.Name, host.Uri));
                Assert.Equal(vmsBefore, (await db.Vms.OrderBy(v => v.Name).Select(v => new { v.Id, v.Name, v.HostId }).ToListAsync(Ct)).Select(v => (v.Id, v.Name, v.HostId)).ToList());
                Assert.All(vmsBefore, v => Assert.Equal(hostId, v.HostId));
                var audit = await db.AuditEntries.Where(a => a.Operation == "Move host").SingleAsync(Ct);
                Assert.Equal((Portal.Core.Audit.AuditOutcome.Warning,
                        $"The data folder moved: host {DemoNode.HostName} now uses the node file {Path.Combine(moved, DemoNode.FileName)} (it used {Path.Combine(dir, DemoNode.FileName)}); its VMs and storage domains stay with it."),
                    (audit.Outcome, audit.Message));
            }
            var connected = Assert.Single(second.Services.GetRequiredService<HostConnections>().All);
            Assert.Equal((hostId, true, HostState.Connected, true), (connected.HostId, connected.IsPrimary, connected.State, connected.Reconciled));
            Assert.True(second.Services.GetRequiredService<PortalReadiness>().IsReady);
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            TestDatabase.Drop(dir);
            foreach (var d in new[] { dir, moved })
                if (Directory.Exists(d)) Directory.Delete(d, recursive: true);
        }
    }

    [Fact]
    public async Task Initialize_ConfiguredHostChangedToOneWhoseNameIsTaken_TheNewHostGetsAFreeName()
    {
        var dir = PortalFixture.NewDataDirectory();
        var node = DemoNode.WriteNode(Path.Combine(dir + "-other", "node.xml"), [new("other-web", Guid.NewGuid(), 512, Running: true)]);
        try
        {
            using (var first = PortalFixture.BuildHost(dir))
                await PortalStartup.InitializeAsync(first.Services, Ct);
            using var second = PortalFixture.BuildHost(dir, settings: new Dictionary<string, string?> { ["Libvirt:Uri"] = node });

            await PortalStartup.InitializeAsync(second.Services, Ct);

            await using var db = await DbOf(second);
            Assert.Equal([(DemoNode.HostName, DemoNode.UriIn(dir)), (DemoNode.HostName + "-2", node)],
                (await db.Hosts.OrderBy(h => h.Name).ToListAsync(Ct)).Select(h => (h.Name, h.Uri)));
            var primary = second.Services.GetRequiredService<HostConnections>().All.Single(h => h.IsPrimary);
            Assert.Equal((DemoNode.HostName + "-2", HostState.Connected), (primary.Name, primary.State));
            Assert.Equal(primary.HostId, (await db.Vms.SingleAsync(v => v.Name == "other-web", Ct)).HostId);
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            TestDatabase.Drop(dir);
            foreach (var d in new[] { dir, dir + "-other" })
                if (Directory.Exists(d)) Directory.Delete(d, recursive: true);
        }
    }

    private static Task<Portal.Core.Persistence.PortalDbContext> DbOf(Microsoft.Extensions.Hosting.IHost host) =>
        host.Services.GetRequiredService<IDbContextFactory<Portal.Core.Persistence.PortalDbContext>>().CreateDbContextAsync(Ct);
}
