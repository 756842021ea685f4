using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Portal.Core;
using Portal.Core.Commands;
using Portal.Core.Hosts;
using Portal.Core.Hypervisor;
using Portal.Core.Snapshots;
using Portal.Core.Vms;
using Portal.Tests.Support;

namespace Portal.Tests.Hosts;

/// <summary>A connected host that becomes unreachable, and comes back.</summary>
public sealed class HostConnectionsTests : HostsTest
{
    private const string Dropped = "Cannot recv data: Connection reset by peer";
    private const string Refused = "unable to connect to server at 'other:16509': No route to host";

    [Fact]
    public async Task ConnectionDropped_HostShowsDisconnectedWithTheReasonAndItsVmsNotResponding()
    {
        var hostId = await AddOtherHostAsync();
        var changes = new List<HostStateChanged>();
        using var _ = Portal.Notifier.Subscribe(e => { if (e is HostStateChanged c) lock (changes) changes.Add(c); });
        var webBefore = await Portal.LastTransitionIdAsync(BWeb);

        TakeOtherHostDown(Dropped, Refused);

        await WaitForHostAsync(hostId, HostState.Disconnected);
        await Portal.WaitForStatusAsync(BWeb, VmStatus.NotResponding);
        await Portal.WaitForStatusAsync(BBatch, VmStatus.NotResponding);
        lock (changes) Assert.Equal((HostState.Disconnected, Dropped), (changes[0].State, changes[0].Error));
        await using var db = await Portal.DbAsync();
        var t = await db.VmStatusTransitions.AsNoTracking().Where(x => x.VmId == BWeb && x.Id > webBefore).SingleAsync(Ct);
        Assert.Equal((VmStatus.Up, VmStatus.NotResponding, $"Host other is not connected: {Dropped}"), (t.From, t.To, t.Reason));
        Assert.Equal(VmStatus.NotResponding, (await Portal.LoadVmAsync(BWeb)).Status);
        // The primary host's VMs are not touched.
        Assert.Equal(VmStatus.Up, Portal.Monitor.StatusOf(await Portal.VmIdAsync("web-frontend")));
    }

    [Fact]
    public async Task ConnectionDropped_NothingInTheDatabaseIsLost()
    {
        var hostId = await AddOtherHostAsync();
        var snapshot = await Portal.CreateSnapshotAsync(BWeb, "before the outage");

        TakeOtherHostDown(Dropped, Refused);
        await Portal.WaitForStatusAsync(BWeb, VmStatus.NotResponding);
        await Portal.WaitForStatusAsync(BBatch, VmStatus.NotResponding);
        // Something else on the primary host makes the inventory reconcile while the second host is away.
        await Portal.Hypervisor.StartAsync(await Portal.VmIdAsync("build-agent"), Ct);
        await Portal.Get<VmInventory>().ReconcileAsync(Ct);

        await using var db = await Portal.DbAsync();
        var vms = await db.Vms.AsNoTracking().Include(v => v.Snapshots).Where(v => v.HostId == hostId).OrderBy(v => v.Name).ToListAsync(Ct);
        Assert.Equal([("b-batch", false, 1), ("b-web", false, 2)], vms.Select(v => (v.Name, v.IsMissingOnHost, v.Snapshots.Count)));
        Assert.NotNull(await Portal.SnapshotAsync(snapshot));
        Assert.Equal(VmStatus.NotResponding, Portal.Monitor.StatusOf(BWeb));
        Assert.Equal(2, await db.Hosts.CountAsync(Ct));
    }

    [Fact]
    public async Task ConnectionDeadWithoutCloseCallback_TheAliveCheckNoticesIt()
    {
        var hostId = await AddOtherHostAsync();

        TakeOtherHostDown(Dropped, Refused, closedByLibvirt: false);

        await WaitForHostAsync(hostId, HostState.Disconnected);
        await Portal.WaitForStatusAsync(BWeb, VmStatus.NotResponding);
    }

    [Fact]
    public async Task Commands_WhileTheHostIsDisconnected_AreRefusedWithTheHostsReason()
    {
        var hostId = await AddOtherHostAsync();
        TakeOtherHostDown(Dropped, Refused);
        var reason = $"Host other is not connected: {Refused}";
        await Wait.UntilAsync(() => Hosts.Find(hostId)!.NotConnectedReason == reason, "the reconnect was refused");
        var attempts = Portal.Connections.Attempts(OtherUri);

        var run = await Portal.Command<RunVmCommand>().ExecuteAsync(new RunVmRequest(BBatch), PortalFixture.Alice, Ct);
        var snapshot = await Portal.Command<CreateSnapshotCommand>()
            .ExecuteAsync(new CreateSnapshotRequest(BWeb, "during the outage", true), PortalFixture.Alice, Ct);

        Assert.Equal((ResultKind.Conflict, reason), (run.Kind, run.Message));
        Assert.Equal((ResultKind.Conflict, reason), (snapshot.Kind, snapshot.Message));
        Assert.Equal(run.Message, Portal.Get<RunVmCommand>().WhyRefused((await Portal.Queries.VmAsync(BBatch, Ct))!.Facts)?.Reason);
        // The primary host's VMs still work, and the unreachable host is tried again and again.
        await Portal.RunAsync(await Portal.VmIdAsync("build-agent"));
        await Wait.UntilAsync(() => Portal.Connections.Attempts(OtherUri) > attempts, "the host is tried again");
    }

    [Fact]
    public async Task Reconnect_AfterAnOutage_StatusesAreTakenFromTheHostAgain()
    {
        var hostId = await AddOtherHostAsync();
        await OtherConnection.Inner.StartAsync(BBatch, Ct);
        await Portal.WaitForStatusAsync(BBatch, VmStatus.Up);
        var before = await Portal.LastTransitionIdAsync(BBatch);
        TakeOtherHostDown(Dropped, Refused);
        await Portal.WaitForStatusAsync(BBatch, VmStatus.NotResponding);

        // The host comes back. Its test driver starts again from the node file: b-batch is shut off there now.
        Portal.Connections.Allow(OtherUri);

        await WaitForHostAsync(hostId, HostState.Connected);
        await Portal.WaitForStatusAsync(BBatch, VmStatus.Down);
        await Portal.WaitForStatusAsync(BWeb, VmStatus.Up);
        Assert.Equal([VmStatus.NotResponding, VmStatus.Down], await Portal.StatusesSinceAsync(BBatch, before));
        Assert.Null(Hosts.Find(hostId)!.Error);
        // Commands reach the new connection.
        await Portal.RunAsync(BBatch);
        Assert.Equal(DomainRunState.Running, (await OtherConnection.Inner.FindDomainAsync(BBatch, Ct))!.State);
    }

    [Fact]
    public async Task Commands_OnTheSecondHostsVm_RunOnThatHost()
    {
        await AddOtherHostAsync();

        await Portal.RunAsync(BBatch);
        var snapshot = await Portal.CreateSnapshotAsync(BBatch, "on the second host");

        Assert.Equal(DomainRunState.Running, (await OtherConnection.Inner.FindDomainAsync(BBatch, Ct))!.State);
        var name = (await Portal.SnapshotAsync(snapshot))!.HypervisorName!;
        Assert.Contains(name, await OtherConnection.Inner.ListSnapshotNamesAsync(BBatch, Ct));
        Assert.Null(await Portal.Faults.Inner.FindDomainAsync(BBatch, Ct));
    }

    [Fact]
    public async Task Clone_OfTheSecondHostsVm_IsDefinedOnThatHost()
    {
        var hostId = await AddOtherHostAsync();
        var snapshot = await Portal.CreateSnapshotAsync(BBatch, "base", saveMemory: false);

        var result = await PortalFixture.Succeeds(Portal.Command<CloneVmFromSnapshotCommand>()
            .ExecuteAsync(new CloneVmFromSnapshotRequest(BBatch, snapshot, "b-batch-copy"), PortalFixture.Alice, Ct));

        var clone = (Guid)result.Value!;
        Assert.NotNull(await OtherConnection.Inner.FindDomainAsync(clone, Ct));
        Assert.Null(await Portal.Faults.Inner.FindDomainAsync(clone, Ct));
        await using var db = await Portal.DbAsync();
        Assert.Equal(hostId, (await db.Vms.AsNoTracking().SingleAsync(v => v.Id == clone, Ct)).HostId);
    }

    [Fact]
    public async Task Restart_WithASecondHost_ItConnectsAfterStartAndItsVmsFollowIt()
    {
        var dir = PortalFixture.NewDataDirectory();
        var uri = DemoNode.WriteNode(Path.Combine(dir, "other", "other-node.xml"), [new("b-web", BWeb, 512, Running: true)]);
        try
        {
            using (var first = PortalFixture.BuildHost(dir, settings: Settings))
            {
                await PortalStartup.InitializeAsync(first.Services, Ct);
                var added = await first.Services.GetRequiredService<AddHostCommand>().ExecuteAsync(new AddHostRequest(Other, uri), PortalFixture.Alice, Ct);
                Assert.True(added.Succeeded, added.Message);
            }
            using var second = PortalFixture.BuildHost(dir, settings: Settings);
            await PortalStartup.InitializeAsync(second.Services, Ct);
            await second.StartAsync(Ct);
            try
            {
                var monitor = second.Services.GetRequiredService<VmMonitor>();
                var hosts = second.Services.GetRequiredService<HostConnections>();
                await Wait.UntilAsync(() => hosts.All.All(h => h.State == HostState.Connected), "both hosts are connected");
                await Wait.UntilAsync(() => monitor.StatusOf(BWeb) == VmStatus.Up, "b-web is Up");
                Assert.Equal(Other, (await second.Services.GetRequiredService<PortalQueries>().VmAsync(BWeb, Ct))!.Host);
            }
            finally { await second.StopAsync(CancellationToken.None); }
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public async Task Restart_WithAnUnreachableHost_StartsAndShowsItDisconnected()
    {
        var dir = PortalFixture.NewDataDirectory();
        try
        {
            using (var first = PortalFixture.BuildHost(dir, settings: Settings))
            {
                await PortalStartup.InitializeAsync(first.Services, Ct);
                var added = await first.Services.GetRequiredService<AddHostCommand>().ExecuteAsync(new AddHostRequest("lost", UnreachableUri), PortalFixture.Alice, Ct);
                Assert.True(added.Succeeded, added.Message);
            }
            using var second = PortalFixture.BuildHost(dir, settings: Settings);
            await PortalStartup.InitializeAsync(second.Services, Ct);
            await second.StartAsync(Ct);
            try
            {
                var hosts = second.Services.GetRequiredService<HostConnections>();
                Assert.Equal(HostState.Connected, hosts.All.Single(h => h.IsPrimary).State);
                await Wait.UntilAsync(() => hosts.All.Single(h => !h.IsPrimary).State == HostState.Disconnected, "the unreachable host is Disconnected");
                Assert.Contains("Connection refused", hosts.All.Single(h => !h.IsPrimary).Error);
            }
            finally { await second.StopAsync(CancellationToken.None); }
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(dir, recursive: true);
        }
    }
}
