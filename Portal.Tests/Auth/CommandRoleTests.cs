using Portal.Core.Auth;
using Portal.Core.Commands;
using Portal.Core.Snapshots;
using Portal.Core.Vms;
using Portal.Tests.Support;

namespace Portal.Tests.Auth;

/// <summary>Helpdesk may run, stop, snapshot, preview and undo; commit, remove and clone need Admin.</summary>
public sealed class CommandRoleTests : PortalTest
{
    private static readonly Actor Bob = PortalFixture.Bob;

    /// <summary>web-frontend, stopped, with a memory snapshot s1 in preview: every admin-only operation below would succeed for alice.</summary>
    private async Task<(Guid Vm, Guid S1)> InPreviewAsync()
    {
        var (web, s1) = await Portal.WebFrontendStoppedWithMemorySnapshotAsync();
        await Portal.PreviewAsync(web, s1);
        return (web, s1);
    }

    [Fact]
    public async Task Commit_Helpdesk_IsForbiddenAndThePreviewStays()
    {
        var (web, s1) = await InPreviewAsync();

        var result = await Portal.Command<CommitSnapshotCommand>().ExecuteAsync(new CommitSnapshotRequest(web), Bob, Ct);

        Assert.Equal((ResultKind.Forbidden, "Commit snapshot needs the Admin role; bob is Helpdesk."), (result.Kind, result.Message));
        Assert.Equal(SnapshotStatus.InPreview, (await Portal.SnapshotAsync(s1))!.Status);
    }

    [Fact]
    public async Task Remove_Helpdesk_IsForbiddenAndTheSnapshotStays()
    {
        var agent = await Portal.VmIdAsync("build-agent");
        var s1 = await Portal.CreateSnapshotAsync(agent, "s1");

        var result = await Portal.Command<RemoveSnapshotCommand>().ExecuteAsync(new RemoveSnapshotRequest(agent, s1), Bob, Ct);

        Assert.Equal((ResultKind.Forbidden, "Remove snapshot needs the Admin role; bob is Helpdesk."), (result.Kind, result.Message));
        Assert.NotNull(await Portal.SnapshotAsync(s1));
    }

    [Fact]
    public async Task Clone_Helpdesk_IsForbiddenAndNoVmIsDefined()
    {
        var agent = await Portal.VmIdAsync("build-agent");
        var s1 = await Portal.CreateSnapshotAsync(agent, "s1");

        var result = await Portal.Command<CloneVmFromSnapshotCommand>().ExecuteAsync(new CloneVmFromSnapshotRequest(agent, s1, "agent-2"), Bob, Ct);

        Assert.Equal((ResultKind.Forbidden, "Clone VM from snapshot needs the Admin role; bob is Helpdesk."), (result.Kind, result.Message));
        Assert.Equal(7, (await Portal.Hypervisor.ListDomainsAsync(Ct)).Count);
    }

    [Fact]
    public async Task SnapshotPreviewUndoRunStop_Helpdesk_AreAllowed()
    {
        var web = await Portal.VmIdAsync("web-frontend");

        var s1 = (await PortalFixture.Succeeds(Portal.Command<CreateSnapshotCommand>().ExecuteAsync(new CreateSnapshotRequest(web, "by bob"), Bob, Ct))).ValueAs<Guid>();
        await PortalFixture.Succeeds(Portal.Command<StopVmCommand>().ExecuteAsync(new StopVmRequest(web), Bob, Ct));
        await PortalFixture.Succeeds(Portal.Command<PreviewSnapshotCommand>().ExecuteAsync(new PreviewSnapshotRequest(web, s1), Bob, Ct));
        await PortalFixture.Succeeds(Portal.Command<UndoPreviewCommand>().ExecuteAsync(new UndoPreviewRequest(web), Bob, Ct));
        await PortalFixture.Succeeds(Portal.Command<RunVmCommand>().ExecuteAsync(new RunVmRequest(web), Bob, Ct));

        Assert.Equal(VmStatus.Up, Portal.Monitor.StatusOf(web));
        Assert.Equal(
            ["Create snapshot", "Stop VM", "Preview snapshot", "Undo preview", "Run VM"],
            (await Portal.AuditAsync(web)).Where(a => a.User == "bob" && !a.Message.Contains("was initiated")).Select(a => a.Operation));
    }

    [Fact]
    public async Task Run_ActorWithoutARole_IsForbidden()
    {
        var agent = await Portal.VmIdAsync("build-agent");

        var result = await Portal.Command<RunVmCommand>().ExecuteAsync(new RunVmRequest(agent), new Actor("eve", false, false), Ct);

        Assert.Equal((ResultKind.Forbidden, "eve has no role that may change VMs."), (result.Kind, result.Message));
        Assert.Equal(VmStatus.Down, Portal.Monitor.StatusOf(agent));
    }
}
