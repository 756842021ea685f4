using Portal.Core.Commands;
using Portal.Core.Snapshots;
using Portal.Core.Vms;
using Portal.Tests.Support;

namespace Portal.Tests.Snapshots;

/// <summary>Preview rules 1–3 of DESIGN.md.</summary>
public sealed class PreviewSnapshotCommandTests : PortalTest
{
    private Task<CommandResult> Preview(Guid vmId, Guid snapshotId, bool restoreMemory = true) =>
        Portal.Command<PreviewSnapshotCommand>().ExecuteAsync(new PreviewSnapshotRequest(vmId, snapshotId, restoreMemory), PortalFixture.Alice, Ct);


    [Fact]
    public async Task Preview_WithRestoreMemory_NewActiveSharesTheSnapshotsMemory()
    {
        var (web, s1) = await Portal.WebFrontendStoppedWithMemorySnapshotAsync();
        var oldActive = await Portal.ActiveAsync(web);
        var before = await Portal.LastTransitionIdAsync(web);

        var result = await Preview(web, s1);

        Assert.Equal(ResultKind.Ok, result.Kind);
        var vm = await Portal.LoadVmAsync(web);
        var target = vm.Snapshots.Single(s => s.Id == s1);
        var preview = vm.Snapshots.Single(s => s.Id == oldActive.Id);
        var active = vm.Snapshots.Single(s => s.Type == SnapshotType.Active);
        Assert.Equal(SnapshotStatus.InPreview, target.Status);
        Assert.Equal((SnapshotType.Preview, Snapshot.PreviewDescription), (preview.Type, preview.Description));
        Assert.Equal(result.ValueAs<Guid>(), active.Id);
        Assert.NotNull(target.MemoryVolumeId);
        Assert.Equal(target.MemoryVolumeId, active.MemoryVolumeId);
        Assert.Equal(s1, active.ParentId);
        Assert.Equal(target.ConfigurationXml, active.ConfigurationXml);
        Assert.Equal([VmStatus.ImageLocked, VmStatus.Down], await Portal.StatusesSinceAsync(web, before));
        Assert.EndsWith("has been completed, with its memory.", (await Portal.AuditAsync(web)).Last().Message);
        Assert.True((await Portal.Queries.VmAsync(web, Ct))!.InPreview);
    }

    [Fact]
    public async Task Preview_WithoutRestoreMemory_NewActiveHasNoMemory()
    {
        var (web, s1) = await Portal.WebFrontendStoppedWithMemorySnapshotAsync();

        await Portal.PreviewAsync(web, s1, restoreMemory: false);

        var vm = await Portal.LoadVmAsync(web);
        Assert.Null(vm.Snapshots.Single(s => s.Type == SnapshotType.Active).MemoryVolumeId);
        Assert.NotNull(vm.Snapshots.Single(s => s.Id == s1).MemoryVolumeId);
        Assert.EndsWith("has been completed, without its memory.", (await Portal.AuditAsync(web)).Last().Message);
    }

    [Fact]
    public async Task Preview_ActiveThatHasMemory_PreviewSnapshotKeepsThatMemory()
    {
        // An Active with memory: preview a memory snapshot with its memory and commit it.
        var (web, s1) = await Portal.WebFrontendStoppedWithMemorySnapshotAsync();
        await Portal.PreviewAsync(web, s1);
        await Portal.CommitAsync(web);
        var activeMemory = (await Portal.ActiveAsync(web)).MemoryVolumeId;
        Assert.NotNull(activeMemory);
        var s2 = await Portal.CreateSnapshotAsync(web, "s2 offline");

        await Portal.PreviewAsync(web, s2);

        var vm = await Portal.LoadVmAsync(web);
        var preview = vm.Snapshots.Single(s => s.Type == SnapshotType.Preview);
        Assert.Equal(Snapshot.PreviewDescription, preview.Description);
        Assert.Equal(activeMemory, preview.MemoryVolumeId);
        Assert.Null(vm.Snapshots.Single(s => s.Type == SnapshotType.Active).MemoryVolumeId);
    }

    [Fact]
    public async Task Preview_RunningVm_IsRefused()
    {
        var web = await Portal.VmIdAsync("web-frontend");
        var s1 = await Portal.CreateSnapshotAsync(web, "s1");

        var result = await Preview(web, s1);

        Assert.Equal((ResultKind.Conflict, "The VM must be Down to preview a snapshot. It is Up."), (result.Kind, result.Message));
        Assert.Equal(SnapshotStatus.Ok, (await Portal.SnapshotAsync(s1))!.Status);
    }

    [Fact]
    public async Task Preview_WhileAnotherPreview_IsRefused()
    {
        var (web, s1) = await Portal.WebFrontendStoppedWithMemorySnapshotAsync();
        var s2 = await Portal.CreateSnapshotAsync(web, "s2");
        await Portal.PreviewAsync(web, s1);

        var result = await Preview(web, s2);

        Assert.Equal((ResultKind.Conflict, "The VM is in preview of a snapshot. Commit or undo the preview first."), (result.Kind, result.Message));
        Assert.Equal(SnapshotStatus.Ok, (await Portal.SnapshotAsync(s2))!.Status);
    }

    [Fact]
    public async Task Preview_UnknownSnapshot_IsNotFound()
    {
        var (web, _) = await Portal.WebFrontendStoppedWithMemorySnapshotAsync();

        var result = await Preview(web, Guid.NewGuid());

        Assert.Equal((ResultKind.NotFound, "The snapshot does not exist (it may have been removed)."), (result.Kind, result.Message));
    }

    [Fact]
    public async Task Preview_TheActiveSnapshot_IsRefused()
    {
        var agent = await Portal.VmIdAsync("build-agent");
        var active = await Portal.ActiveAsync(agent);

        var result = await Preview(agent, active.Id);

        Assert.Equal((ResultKind.Conflict, "Cannot preview it: 'Active VM' is not a regular snapshot."), (result.Kind, result.Message));
    }

    [Fact]
    public async Task Preview_WhileAnotherOperationHoldsTheVm_IsAConflictNamingThatOperation()
    {
        var (web, s1) = await Portal.WebFrontendStoppedWithMemorySnapshotAsync();
        using var held = Portal.Locks.TryAcquire(web, "Remove snapshot", out _);

        var result = await Preview(web, s1);

        Assert.Equal((ResultKind.Conflict, "Cannot preview snapshot: the operation 'Remove snapshot' is in progress on this VM. Try again when it has finished."),
            (result.Kind, result.Message));
    }
}
