using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Portal.Core;
using Portal.Core.Commands;
using Portal.Core.Hosts;
using Portal.Core.Hypervisor;
using Portal.Core.Persistence;
using Portal.Core.Vms;
using Portal.Tests.Support;

namespace Portal.Tests;

/// <summary>
/// The portal serves once its database is open (<see cref="PortalStartup.OpenDatabaseAsync"/>) and connects and
/// reconciles its host while it serves (<see cref="PortalStartup.ConnectHostsAsync"/>): until then commands on the
/// host's VMs are refused with the reason, and a VM with an interrupted operation until that operation is recovered.
/// </summary>
public sealed class StartupReadinessTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;
    private static readonly Guid BuildAgent = Guid.Parse("5a1e0c52-0d3b-4a5e-9c51-2f0a7b1e0003");

    [Fact]
    public async Task Restart_BeforeTheHostIsConnectedAndReconciled_RunIsRefusedWithTheReasonAndRunsOnceReady()
    {
        var dir = await FirstStartAsync(journal: false);
        try
        {
            using var second = PortalFixture.BuildHost(dir);
            await PortalStartup.OpenDatabaseAsync(second.Services, Ct);
            var readiness = second.Services.GetRequiredService<PortalReadiness>();
            var run = second.Services.GetRequiredService<RunVmCommand>();
            var hosts = second.Services.GetRequiredService<HostConnections>();
            var queries = second.Services.GetRequiredService<PortalQueries>();

            // Serving, the host not opened yet: the page's button and the command give the same reason.
            Assert.False(readiness.IsReady);
            var connecting = HostConnectionInfo.NotConnected("embedded-test-host", null);
            Assert.Equal(connecting, run.WhyRefused((await queries.VmAsync(BuildAgent, Ct))!.Facts)?.Reason);
            var refused = await run.ExecuteAsync(new RunVmRequest(BuildAgent), PortalFixture.Alice, Ct);
            Assert.False(refused.Succeeded);
            Assert.Contains(connecting, refused.Message);

            // Connected, not reconciled yet: the database's statuses are those of before the restart.
            await hosts.OpenPrimaryAsync(Ct);
            await hosts.LoadAsync(Ct);
            Assert.Equal(HostState.Connected, hosts.All.Single().State);
            var reconciling = HostConnectionInfo.NotReconciled("embedded-test-host");
            Assert.Equal(reconciling, run.WhyRefused((await queries.VmAsync(BuildAgent, Ct))!.Facts)?.Reason);
            refused = await run.ExecuteAsync(new RunVmRequest(BuildAgent), PortalFixture.Alice, Ct);
            Assert.Contains(reconciling, refused.Message);
            var hypervisor = second.Services.GetRequiredService<IHypervisor>();
            Assert.Equal(DomainRunState.ShutOff, (await hypervisor.FindDomainAsync(BuildAgent, Ct))!.State);

            await PortalStartup.ConnectHostsAsync(second.Services, Ct);

            Assert.True(readiness.IsReady);
            Assert.True(hosts.All.Single().Reconciled);
            var ran = await run.ExecuteAsync(new RunVmRequest(BuildAgent), PortalFixture.Alice, Ct);
            Assert.True(ran.Succeeded, ran.Message);
            Assert.Equal(DomainRunState.Running, (await hypervisor.FindDomainAsync(BuildAgent, Ct))!.State);
        }
        finally { Delete(dir); }
    }

    [Fact]
    public async Task Restart_InterruptedOperation_TheVmIsRefusedUntilRecoveryHasRunEvenOnceItsHostIsReconciled()
    {
        var dir = await FirstStartAsync(journal: true);
        try
        {
            using var second = PortalFixture.BuildHost(dir);
            await PortalStartup.OpenDatabaseAsync(second.Services, Ct);
            var hosts = second.Services.GetRequiredService<HostConnections>();
            await hosts.OpenPrimaryAsync(Ct);
            await hosts.LoadAsync(Ct);
            await second.Services.GetRequiredService<VmInventory>().ReconcileAsync(Ct);
            Assert.True(hosts.All.Single().Reconciled);
            var run = second.Services.GetRequiredService<RunVmCommand>();

            var refused = await run.ExecuteAsync(new RunVmRequest(BuildAgent), PortalFixture.Alice, Ct);

            Assert.False(refused.Succeeded);
            Assert.Contains("An interrupted operation on this VM is still being finished or undone", refused.Message);
            Assert.False(second.Services.GetRequiredService<PortalReadiness>().IsReady);

            await PortalStartup.ConnectHostsAsync(second.Services, Ct);

            await using (var db = await second.Services.GetRequiredService<IDbContextFactory<PortalDbContext>>().CreateDbContextAsync(Ct))
            {
                Assert.False(await db.OperationJournal.AnyAsync(r => r.VmId == BuildAgent && !r.Committed, Ct));
                Assert.Contains(await db.AuditEntries.Where(a => a.VmId == BuildAgent).Select(a => a.Message).ToListAsync(Ct),
                    m => m.Contains("was recovered after restart"));
            }
            var ran = await run.ExecuteAsync(new RunVmRequest(BuildAgent), PortalFixture.Alice, Ct);
            Assert.True(ran.Succeeded, ran.Message);
        }
        finally { Delete(dir); }
    }

    [Fact]
    public async Task Start_TheHostOpenedBesideTheDatabase_IsOpenedOnceAndHandedToStartUp()
    {
        var dir = PortalFixture.NewDataDirectory();
        try
        {
            using var host = PortalFixture.BuildHost(dir, injectFaults: true);
            var hosts = host.Services.GetRequiredService<HostConnections>();
            var connections = host.Services.GetRequiredService<FaultInjectingConnections>();

            hosts.BeginOpeningPrimary();
            hosts.BeginOpeningPrimary();
            await PortalStartup.OpenDatabaseAsync(host.Services, Ct);
            await PortalStartup.ConnectHostsAsync(host.Services, Ct);

            Assert.True(host.Services.GetRequiredService<PortalReadiness>().IsReady);
            Assert.Equal(1, connections.Attempts(hosts.PrimaryUri));
            var primary = hosts.All.Single();
            Assert.Equal(HostState.Connected, primary.State);
            Assert.True(primary.Reconciled);
            Assert.NotNull(await host.Services.GetRequiredService<IHypervisor>().FindDomainAsync(BuildAgent, Ct));
        }
        finally { Delete(dir); }
    }

    [Fact]
    public async Task Start_TheHostOpenedBesideTheDatabaseCannotBeReached_StartUpStopsWithLibvirtsSentence()
    {
        var dir = PortalFixture.NewDataDirectory();
        try
        {
            using var host = PortalFixture.BuildHost(dir, injectFaults: true);
            var hosts = host.Services.GetRequiredService<HostConnections>();
            host.Services.GetRequiredService<FaultInjectingConnections>().Refuse(hosts.PrimaryUri, "unable to connect: no route to host");

            hosts.BeginOpeningPrimary();
            await PortalStartup.OpenDatabaseAsync(host.Services, Ct);
            var failed = await Assert.ThrowsAsync<PortalStartupException>(() => PortalStartup.ConnectHostsAsync(host.Services, Ct));

            Assert.Contains("no route to host", failed.Message);
            Assert.Contains("Check Libvirt:Uri", failed.Message);
            Assert.False(host.Services.GetRequiredService<PortalReadiness>().IsReady);
        }
        finally { Delete(dir); }
    }

    /// <summary>A first start on a new folder, stopped keeping its data; with <paramref name="journal"/>, a Run of build-agent interrupted by the stop.</summary>
    private static async Task<string> FirstStartAsync(bool journal)
    {
        var first = await PortalFixture.StartAsync();
        if (journal)
        {
            await using var db = await first.DbAsync();
            db.OperationJournal.Add(new OperationRecord
            {
                Kind = "Run VM", VmId = BuildAgent, VmName = "build-agent", User = "alice", Step = "starting", StartedAt = DateTime.UtcNow, UpdatedAt = DateTime.UtcNow,
                RequestJson = JournalJson.WriteValue(new RunVmRequest(BuildAgent)), UndoJson = JournalJson.Write([new DestroyDomainStep(BuildAgent)]),
            });
            await db.SaveChangesAsync(Ct);
        }
        await first.StopKeepingDataAsync();
        return first.DataDirectory;
    }

    private static void Delete(string dir)
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        TestDatabase.Drop(dir);
        Directory.Delete(dir, recursive: true);
    }
}
