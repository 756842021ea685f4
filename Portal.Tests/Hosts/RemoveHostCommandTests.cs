using Microsoft.EntityFrameworkCore;
using Portal.Core.Audit;
using Portal.Core.Commands;
using Portal.Core.Hosts;
using Portal.Core.Hypervisor;
using Portal.Core.Vms;
using Portal.Tests.Support;

namespace Portal.Tests.Hosts;

public sealed class RemoveHostCommandTests : HostsTest
{
    private RemoveHostCommand Remove => Portal.Command<RemoveHostCommand>();

    [Fact]
    public async Task Execute_HostWithStoppedVms_ForgetsItsVmsWithoutTouchingTheHost()
    {
        var hostId = await AddOtherHostAsync();
        await Portal.StopAsync(BWeb);
        var undefined = new List<Guid>();
        OtherConnection.Before(nameof(IHypervisor.UndefineDomainAsync), () => { undefined.Add(Guid.Empty); return Task.CompletedTask; });
        var connection = OtherConnection;

        var result = await Remove.ExecuteAsync(new RemoveHostRequest(hostId), PortalFixture.Alice, Ct);

        Assert.True(result.Succeeded, result.Message);
        Assert.Equal($"Host other ({OtherUri}) was removed. Its 2 VM(s) left the portal's inventory (b-batch, b-web); their domains stay defined on the host.",
            result.Message);
        Assert.Empty(undefined);
        Assert.Null(Hosts.Find(hostId));
        await using var db = await Portal.DbAsync();
        Assert.False(await db.Hosts.AnyAsync(h => h.Id == hostId, Ct));
        Assert.False(await db.Vms.AnyAsync(v => v.Id == BWeb || v.Id == BBatch, Ct));
        Assert.False(await db.VmStatusTransitions.AnyAsync(t => t.VmId == BWeb, Ct));
        Assert.Equal(7, await db.Vms.CountAsync(Ct));
        // Its connection is closed: libvirt no longer answers on it.
        await Wait.UntilAsync(async () =>
        {
            try { return !await connection.Inner.IsAliveAsync(Ct); }
            catch (ObjectDisposedException) { return true; }
        }, closed => closed, "the host's connection is closed");
        var audit = (await HostAuditAsync()).Last();
        Assert.Equal(("Remove host", AuditOutcome.Success, result.Message), (audit.Operation, audit.Outcome, audit.Message));
    }

    [Fact]
    public async Task Execute_VmWithAMemorySnapshot_ItsMemoryVolumeGoesWithIt()
    {
        var hostId = await AddOtherHostAsync();
        var snapshot = await Portal.CreateSnapshotAsync(BWeb, "with memory");
        var memory = (await Portal.SnapshotAsync(snapshot))!.MemoryVolume!;
        await Portal.StopAsync(BWeb);

        var result = await PortalFixture.Succeeds(Remove.ExecuteAsync(new RemoveHostRequest(hostId), PortalFixture.Alice, Ct));

        Assert.EndsWith(" 1 memory volume(s) of their snapshots were deleted.", result.Message);
        Assert.Empty(await Portal.MemoryVolumesAsync());
        Assert.Equal((false, false), await Portal.VolumesExistAsync(memory));
    }

    [Fact]
    public async Task Execute_HostWithARunningVm_IsRefusedNamingIt()
    {
        var hostId = await AddOtherHostAsync();

        var result = await Remove.ExecuteAsync(new RemoveHostRequest(hostId), PortalFixture.Alice, Ct);

        Assert.Equal((ResultKind.Conflict, "Cannot remove host other while its VMs run or are locked: b-web (Up). Stop them first; removing a host never stops its VMs."),
            (result.Kind, result.Message));
        Assert.Equal(HostState.Connected, Hosts.Find(hostId)!.State);
        Assert.Equal(9, (await Portal.Queries.VmsAsync(Ct)).Count);
        Assert.Null(Portal.Locks.HeldBy(BBatch));
        var audit = (await HostAuditAsync()).Last();
        Assert.Equal((AuditOutcome.Failure, $"Could not remove host 'other' ({OtherUri}): {result.Message}"), (audit.Outcome, audit.Message));
    }

    [Fact]
    public async Task Execute_VmLockedByAnOperation_IsRefusedNamingTheOperation()
    {
        var hostId = await AddOtherHostAsync();
        await Portal.StopAsync(BWeb);

        using (Portal.Locks.TryAcquire(BBatch, "Create snapshot", out _))
        {
            var result = await Remove.ExecuteAsync(new RemoveHostRequest(hostId), PortalFixture.Alice, Ct);

            Assert.Equal((ResultKind.Conflict, "Cannot remove host other: 'Create snapshot' is in progress on its VM b-batch. Try again when it has finished."),
                (result.Kind, result.Message));
        }
        Assert.NotNull(Hosts.Find(hostId));
        Assert.Null(Portal.Locks.HeldBy(BWeb));
    }

    [Fact]
    public async Task Execute_DisconnectedHostWithNotRespondingVms_IsRemoved()
    {
        var hostId = await AddOtherHostAsync();
        TakeOtherHostDown();
        await Portal.WaitForStatusAsync(BWeb, VmStatus.NotResponding);

        var result = await Remove.ExecuteAsync(new RemoveHostRequest(hostId), PortalFixture.Alice, Ct);

        Assert.True(result.Succeeded, result.Message);
        Assert.Null(Hosts.Find(hostId));
        Assert.Null(await Portal.Queries.VmAsync(BWeb, Ct));
        // Nobody tries to reach it any more.
        var attempts = Portal.Connections.Attempts(OtherUri);
        await Portal.RunAsync(await Portal.VmIdAsync("build-agent"));
        Assert.Equal(attempts, Portal.Connections.Attempts(OtherUri));
    }

    [Fact]
    public async Task Execute_PrimaryHost_IsRefused()
    {
        var primary = Hosts.All.Single(h => h.IsPrimary);

        var result = await Remove.ExecuteAsync(new RemoveHostRequest(primary.HostId), PortalFixture.Alice, Ct);

        Assert.Equal((ResultKind.Conflict, "Host embedded-test-host is the portal's configured host (Libvirt:Uri) and holds its storage domains; it cannot be removed."),
            (result.Kind, result.Message));
        Assert.Equal(HostState.Connected, Hosts.Find(primary.HostId)!.State);
        Assert.Equal(7, (await Portal.Queries.VmsAsync(Ct)).Count);
    }

    [Fact]
    public async Task Execute_Helpdesk_IsForbiddenAndTheRefusalIsAudited()
    {
        var hostId = await AddOtherHostAsync();
        await Portal.StopAsync(BWeb);

        var result = await Remove.ExecuteAsync(new RemoveHostRequest(hostId), Helpdesk, Ct);

        Assert.Equal((ResultKind.Forbidden, "Remove host needs the Admin role; bob is Helpdesk."), (result.Kind, result.Message));
        Assert.NotNull(Hosts.Find(hostId));
        var audit = (await HostAuditAsync()).Last();
        Assert.Equal(("bob", AuditOutcome.Failure, $"Could not remove host 'other' ({OtherUri}): {result.Message}"), (audit.User, audit.Outcome, audit.Message));
    }

    [Fact]
    public async Task Execute_UnknownHost_IsNotFound()
    {
        var id = Guid.NewGuid();

        var result = await Remove.ExecuteAsync(new RemoveHostRequest(id), PortalFixture.Alice, Ct);

        Assert.Equal((ResultKind.NotFound, $"There is no host with id {id} (it may have been removed)."), (result.Kind, result.Message));
    }

    [Fact]
    public async Task Execute_HostAddedAgain_ItsDomainsComeBackAsNewVms()
    {
        var hostId = await AddOtherHostAsync();
        await Portal.StopAsync(BWeb);
        await PortalFixture.Succeeds(Remove.ExecuteAsync(new RemoveHostRequest(hostId), PortalFixture.Alice, Ct));

        var again = await AddOtherHostAsync();

        Assert.NotEqual(hostId, again);
        Assert.Equal(Other, (await Portal.Queries.VmAsync(BBatch, Ct))!.Host);
    }
}
