using Microsoft.EntityFrameworkCore;
using Portal.Core.Audit;
using Portal.Core.Commands;
using Portal.Core.Hosts;
using Portal.Core.Vms;
using Portal.Tests.Support;

namespace Portal.Tests.Hosts;

public sealed class AddHostCommandTests : HostsTest
{
    private AddHostCommand Add => Portal.Command<AddHostCommand>();

    [Fact]
    public async Task Execute_SecondTestDriverHost_ItsVmsAppearOnThatHostWithTheHostsStatuses()
    {
        var hostId = await AddOtherHostAsync();

        await using var db = await Portal.DbAsync();
        var vms = await db.Vms.AsNoTracking().Include(v => v.Cluster).Where(v => v.HostId == hostId).OrderBy(v => v.Name).ToListAsync(Ct);
        Assert.Equal([("b-batch", "Legacy", VmStatus.Down), ("b-web", "Production", VmStatus.Up)],
            vms.Select(v => (v.Name, v.Cluster!.Name, v.Status)));
        Assert.Equal(7, await db.Vms.CountAsync(v => v.HostId != hostId, Ct));
        var host = Hosts.Find(hostId)!;
        Assert.Equal((Other, OtherUri, HostState.Connected, false, (string?)null), (host.Name, host.Uri, host.State, host.IsPrimary, host.Error));
        var audit = Assert.Single(await HostAuditAsync());
        Assert.Equal(("alice", AuditOutcome.Success), (audit.User, audit.Outcome));
        Assert.Equal($"Host other ({OtherUri}) was added to cluster Production and is connected.", audit.Message);
    }

    [Fact]
    public async Task Execute_SecondHost_ItsVmsAreNotDiscoveries_ADomainDefinedOnItLaterIs()
    {
        await AddOtherHostAsync();
        var later = Guid.Parse("7c3e2a10-5b1f-4d2e-8a6b-1c0d9e8f0009");

        await OtherConnection.Inner.DefineDomainAsync($"<domain type='test'><name>b-later</name><uuid>{later}</uuid><memory unit='MiB'>256</memory>" +
            "<vcpu>1</vcpu><os><type arch='x86_64'>hvm</type></os></domain>", Ct);

        var entry = Assert.Single(await Wait.UntilAsync(() => Portal.AuditAsync(later), a => a.Count > 0, "b-later's discovery is audited"));
        Assert.Equal(AuditOperations.DiscoverVm, entry.Operation);
        Assert.StartsWith("VM b-later was found on host other and added to cluster Production", entry.Message);
        // What the host had when it was added is its first inventory, not something another client changed.
        Assert.Empty(await Portal.AuditAsync(BWeb));
        Assert.Empty(await Portal.AuditAsync(BBatch));
    }

    [Fact]
    public async Task Execute_SecondHost_ItsVmsFollowThatHostsEventsLive()
    {
        await AddOtherHostAsync();
        var before = await Portal.LastTransitionIdAsync(BBatch);

        // Another client of the second host starts b-batch: only that host's connection raises the event.
        await OtherConnection.Inner.StartAsync(BBatch, Ct);

        await Portal.WaitForStatusAsync(BBatch, VmStatus.Up);
        Assert.Equal([VmStatus.Up], await Portal.StatusesSinceAsync(BBatch, before));
    }

    [Fact]
    public async Task Execute_UnreachableUri_AddsTheHostDisconnectedWithLibvirtsReasonAndKeepsTrying()
    {
        var result = await Add.ExecuteAsync(new AddHostRequest("lost", UnreachableUri), PortalFixture.Alice, Ct);

        Assert.True(result.Succeeded, result.Message);
        var host = result.ValueAs<HostConnectionInfo>();
        Assert.Equal(HostState.Disconnected, host.State);
        Assert.Contains("Connection refused", host.Error);
        var warning = Assert.Single(result.WarningList);
        Assert.StartsWith("Host lost is not connected: unable to connect to server at '127.0.0.1:1': Connection refused", warning);
        Assert.EndsWith("The portal keeps trying; its VMs appear once it connects.", warning);
        var audit = Assert.Single(await HostAuditAsync());
        Assert.Equal(AuditOutcome.Warning, audit.Outcome);
        Assert.Contains("Connection refused", audit.Message);
        await Wait.UntilAsync(() => Portal.Connections.Attempts(UnreachableUri) >= 3, "the portal tried the host again");
        Assert.Equal(HostState.Disconnected, Hosts.Find(host.HostId)!.State);
    }

    [Fact]
    public async Task Execute_UriOfAnExistingHost_IsRefusedAndAudited()
    {
        var result = await Add.ExecuteAsync(new AddHostRequest("again", Portal.Hypervisor.Uri), PortalFixture.Alice, Ct);

        Assert.Equal((ResultKind.Conflict, $"Host 'embedded-test-host' already has the URI {Portal.Hypervisor.Uri}."), (result.Kind, result.Message));
        await using var db = await Portal.DbAsync();
        Assert.Equal(1, await db.Hosts.CountAsync(Ct));
        var audit = Assert.Single(await HostAuditAsync());
        Assert.Equal((AuditOutcome.Failure, $"Could not add host 'again' ({Portal.Hypervisor.Uri}): {result.Message}"), (audit.Outcome, audit.Message));
    }

    [Fact]
    public async Task Execute_NameOfAnExistingHostInOtherCase_IsRefused()
    {
        var result = await Add.ExecuteAsync(new AddHostRequest("Embedded-Test-Host", OtherUri), PortalFixture.Alice, Ct);

        Assert.Equal((ResultKind.Conflict, "A host named 'embedded-test-host' already exists."), (result.Kind, result.Message));
        Assert.Single(Hosts.All);
    }

    [Theory]
    [InlineData("", "Enter the host's libvirt URI, such as qemu:///system or qemu+ssh://root@kvm2.example.com/system.")]
    [InlineData("kvm2.example.com", "'kvm2.example.com' is not a libvirt URI. Write it as driver[+transport]://[user@host]/path, such as qemu:///system or qemu+ssh://root@kvm2.example.com/system.")]
    [InlineData("xen:///system", "The portal manages hosts through libvirt's qemu or test driver, not 'xen'. Example: qemu:///system or qemu+ssh://root@kvm2.example.com/system.")]
    [InlineData("qemu+http://kvm2/system", "'http' is not a libvirt transport; use one of ssh, libssh, libssh2, tcp, tls, unix (as in qemu+ssh://root@host/system).")]
    [InlineData("qemu+ssh:///system", "A qemu+ssh URI names the machine to reach, as in qemu+ssh://root@kvm2.example.com/system.")]
    [InlineData("qemu://kvm2/systen", "A qemu URI ends in /system (the system daemon, as oVirt uses) or /session, not '/systen'.")]
    [InlineData("qemu:///system ; rm -rf /", "A libvirt URI contains no spaces or control characters.")]
    [InlineData("qemu+ext:///system?command=/tmp/x", "The ext transport runs a program of the URI's choosing on the portal's machine; add the host over ssh, tls or tcp.")]
    [InlineData("qemu+ssh://root@kvm2/system?command=/tmp/x", "The URI's 'command' parameter names a program to run (on the portal's machine or on the host); a host is added without it. Put ssh options in the portal's service user's ~/.ssh/config instead.")]
    [InlineData("qemu+ssh://root@kvm2/system?no_verify=1&Comm%61nd=/tmp/x", "The URI's 'command' parameter names a program to run (on the portal's machine or on the host); a host is added without it. Put ssh options in the portal's service user's ~/.ssh/config instead.")]
    [InlineData("qemu+ssh://root@kvm2/system?no_verify=1;COMMAND=/tmp/x", "The URI's 'command' parameter names a program to run (on the portal's machine or on the host); a host is added without it. Put ssh options in the portal's service user's ~/.ssh/config instead.")]
    [InlineData("qemu+ssh://root@kvm2/system?netcat=/tmp/x", "The URI's 'netcat' parameter names a program to run (on the portal's machine or on the host); a host is added without it. Put ssh options in the portal's service user's ~/.ssh/config instead.")]
    public async Task Execute_InvalidUri_IsRefusedWithTheReason(string uri, string reason)
    {
        var result = await Add.ExecuteAsync(new AddHostRequest("kvm2", uri), PortalFixture.Alice, Ct);

        Assert.Equal((ResultKind.Invalid, reason), (result.Kind, result.Message));
        Assert.Single(Hosts.All);
    }

    [Theory]
    [InlineData("", "Enter a name for the host.")]
    [InlineData("-kvm", "A host name may contain only letters, digits, '.', '_' and '-', and must start with a letter or digit.")]
    [InlineData("kvm 2", "A host name may contain only letters, digits, '.', '_' and '-', and must start with a letter or digit.")]
    public async Task Execute_InvalidName_IsRefusedWithTheReason(string name, string reason)
    {
        var result = await Add.ExecuteAsync(new AddHostRequest(name, OtherUri), PortalFixture.Alice, Ct);

        Assert.Equal((ResultKind.Invalid, reason), (result.Kind, result.Message));
    }

    [Fact]
    public async Task Execute_Helpdesk_IsForbiddenAndTheRefusalIsAudited()
    {
        var result = await Add.ExecuteAsync(new AddHostRequest(Other, OtherUri), Helpdesk, Ct);

        Assert.Equal((ResultKind.Forbidden, "Add host needs the Admin role; bob is Helpdesk."), (result.Kind, result.Message));
        Assert.Single(Hosts.All);
        Assert.False(Portal.Connections.HasOpened(OtherUri));
        var audit = Assert.Single(await HostAuditAsync());
        Assert.Equal(("bob", AuditOutcome.Failure), (audit.User, audit.Outcome));
    }

    [Fact]
    public async Task Execute_ClusterGiven_TheHostIsInThatCluster()
    {
        await using var db = await Portal.DbAsync();
        var legacy = await db.Clusters.SingleAsync(c => c.Name == DemoNode.LegacyCluster, Ct);

        var result = await Add.ExecuteAsync(new AddHostRequest(Other, OtherUri, legacy.Id), PortalFixture.Alice, Ct);

        Assert.True(result.Succeeded, result.Message);
        Assert.Equal($"Host other ({OtherUri}) was added to cluster Legacy and is connected.", result.Message);
        Assert.Equal(legacy.Id, (await db.Hosts.AsNoTracking().SingleAsync(h => h.Name == Other, Ct)).ClusterId);
    }

    [Fact]
    public async Task Execute_UnknownCluster_IsRefused()
    {
        var result = await Add.ExecuteAsync(new AddHostRequest(Other, OtherUri, Guid.Empty), PortalFixture.Alice, Ct);

        Assert.Equal((ResultKind.NotFound, $"There is no cluster with id {Guid.Empty}."), (result.Kind, result.Message));
        Assert.Single(Hosts.All);
    }
}
