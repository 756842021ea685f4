using Portal.Core.Commands;
using Portal.Core.Snapshots;
using Portal.Tests.Support;

namespace Portal.Tests.Snapshots;

/// <summary>Undo rules 1 and 3 of DESIGN.md.</summary>
public sealed class UndoPreviewCommandTests : PortalTest
{
    private Task<CommandResult> Undo(Guid vmId) =>
        Portal.Command<UndoPreviewCommand>().ExecuteAsync(new UndoPreviewRequest(vmId), PortalFixture.Alice, Ct);

    [Fact]
    public async Task Undo_ActiveHadMemoryBeforeThePreview_BringsItBackWithItsMemory()
    {
        var (web, s1) = await Portal.WebFrontendStoppedWithMemorySnapshotAsync();
        await Portal.PreviewAsync(web, s1);
        await Portal.CommitAsync(web);
        var prePreview = await Portal.ActiveAsync(web);
        Assert.NotNull(prePreview.MemoryVolumeId);
        var s2 = await Portal.CreateSnapshotAsync(web, "s2 offline");
        await Portal.PreviewAsync(web, s2);

        var result = await Undo(web);

        Assert.Equal(ResultKind.Ok, result.Kind);
        var vm = await Portal.LoadVmAsync(web);
        var active = vm.Snapshots.Single(s => s.Type == SnapshotType.Active);
        Assert.Equal((prePreview.Id, Snapshot.ActiveDescription, prePreview.MemoryVolumeId), (active.Id, active.Description, active.MemoryVolumeId));
        Assert.DoesNotContain(vm.Snapshots, s => s.Type == SnapshotType.Preview);
        Assert.Equal(SnapshotStatus.Ok, vm.Snapshots.Single(s => s.Id == s2).Status);
        Assert.Equal(3, vm.Snapshots.Count);
        Assert.Equal((true, true), await Portal.VolumesExistAsync(active.MemoryVolume!));
    }

    [Fact]
    public async Task Undo_PreviewWithRestoredMemory_SnapshotKeepsItsMemory()
    {
        var (web, s1) = await Portal.WebFrontendStoppedWithMemorySnapshotAsync();
        await Portal.PreviewAsync(web, s1);

        await Portal.UndoAsync(web);

        var vm = await Portal.LoadVmAsync(web);
        Assert.Null(vm.Snapshots.Single(s => s.Type == SnapshotType.Active).MemoryVolumeId);
        var mv = vm.Snapshots.Single(s => s.Id == s1).MemoryVolume!;
        Assert.Equal((true, true), await Portal.VolumesExistAsync(mv));
        Assert.Single(await Portal.MemoryVolumesAsync());
    }

    [Fact]
    public async Task Undo_NoPreview_IsRefused()
    {
        var agent = await Portal.VmIdAsync("build-agent");

        var result = await Undo(agent);

        Assert.Equal((ResultKind.Conflict, "The VM has no snapshot in preview."), (result.Kind, result.Message));
    }

    [Fact]
    public async Task Undo_VmRunningInPreview_IsRefused()
    {
        var agent = await Portal.VmIdAsync("build-agent");
        var s1 = await Portal.CreateSnapshotAsync(agent, "s1");
        await Portal.PreviewAsync(agent, s1);
        await Portal.RunAsync(agent);

        var result = await Undo(agent);

        Assert.Equal((ResultKind.Conflict, "The VM must be Down to undo a preview. It is Up."), (result.Kind, result.Message));
    }
}
