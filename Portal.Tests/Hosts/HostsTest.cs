using Microsoft.EntityFrameworkCore;
using Portal.Core.Auth;
using Portal.Core.Hosts;
using Portal.Core.Vms;
using Portal.Tests.Support;

namespace Portal.Tests.Hosts;

/// <summary>
/// A portal whose host checks and retries run every few milliseconds and whose every libvirt connection can be made to
/// fail (<see cref="PortalFixture.Connections"/>), with a second test-driver host ready to add: node file
/// <see cref="OtherUri"/>, VMs b-web (running) and b-batch (shut off).
/// </summary>
public abstract class HostsTest() : PortalTest(injectFaults: true, Settings)
{
    public static readonly IReadOnlyDictionary<string, string?> Settings = new Dictionary<string, string?>
    {
        ["Hosts:CheckInterval"] = "00:00:00.050",
        ["Hosts:RetryMin"] = "00:00:00.050",
        ["Hosts:RetryMax"] = "00:00:00.200",
        ["Hosts:ConnectTimeout"] = "00:00:10",
    };

    protected const string Other = "other";
    protected static readonly Guid BWeb = Guid.Parse("7c3e2a10-5b1f-4d2e-8a6b-1c0d9e8f0001");
    protected static readonly Guid BBatch = Guid.Parse("7c3e2a10-5b1f-4d2e-8a6b-1c0d9e8f0002");

    /// <summary>A URI where nothing listens: libvirt's answer is "Connection refused", at once.</summary>
    protected const string UnreachableUri = "qemu+tcp://127.0.0.1:1/system";

    private string? _otherUri;

    /// <summary>The second host's URI; its node file is written on first use, in the test's data folder.</summary>
    protected string OtherUri => _otherUri ??= DemoNode.WriteNode(Path.Combine(Portal.DataDirectory, "other", "other-node.xml"),
    [
        new("b-web", BWeb, 512, Running: true),
        new("b-batch", BBatch, 256, Running: false, DemoNode.LegacyCluster),
    ]);

    protected HostConnections Hosts => Portal.Get<HostConnections>();

    /// <summary>The second host's current connection, to act on it as another client of that host would.</summary>
    protected FaultInjectingHypervisor OtherConnection => Portal.Connections.For(OtherUri);

    /// <summary>Adds the second host as Alice and waits until its two VMs are in the inventory, on it, with the host's statuses.</summary>
    protected async Task<Guid> AddOtherHostAsync()
    {
        var result = await PortalFixture.Succeeds(Portal.Command<AddHostCommand>().ExecuteAsync(new AddHostRequest(Other, OtherUri), PortalFixture.Alice, Ct));
        var host = result.ValueAs<HostConnectionInfo>();
        Assert.Equal(HostState.Connected, host.State);
        await Wait.UntilAsync(() => Portal.Queries.VmsAsync(Ct), vms => vms.Count(v => v.Host == Other) == 2, "the second host's VMs are in the inventory");
        await Portal.WaitForStatusAsync(BWeb, VmStatus.Up);
        await Portal.WaitForStatusAsync(BBatch, VmStatus.Down);
        return host.HostId;
    }

    protected Task WaitForHostAsync(Guid hostId, HostState state) =>
        Wait.UntilAsync(() => Hosts.Find(hostId)?.State == state, $"the host is {state} (it is {Hosts.Find(hostId)?.State})");

    /// <summary>The host goes away for good: reconnecting is refused with <paramref name="refusal"/>, then the live connection drops.</summary>
    protected void TakeOtherHostDown(string drop = "Cannot recv data: Connection reset by peer",
        string refusal = "unable to connect to server at 'other:16509': No route to host", bool closedByLibvirt = true)
    {
        Portal.Connections.Refuse(OtherUri, refusal);
        OtherConnection.Drop(drop, closedByLibvirt);
    }

    protected async Task<List<Portal.Core.Audit.AuditEntry>> HostAuditAsync()
    {
        await using var db = await Portal.DbAsync();
        return await db.AuditEntries.AsNoTracking().Where(a => a.Operation == "Add host" || a.Operation == "Remove host")
            .OrderBy(a => a.Id).ToListAsync(Ct);
    }

    protected static Actor Helpdesk => PortalFixture.Bob;
}
