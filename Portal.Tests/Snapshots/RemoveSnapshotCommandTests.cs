using Portal.Core.Commands;
using Portal.Core.Snapshots;
using Portal.Tests.Support;

namespace Portal.Tests.Snapshots;

/// <summary>Remove rules 1–2 of DESIGN.md.</summary>
public sealed class RemoveSnapshotCommandTests : PortalTest
{
    private Task<CommandResult> Remove(Guid vmId, Guid snapshotId) =>
        Portal.Command<RemoveSnapshotCommand>().ExecuteAsync(new RemoveSnapshotRequest(vmId, snapshotId), PortalFixture.Alice, Ct);

    [Fact]
    public async Task Remove_SnapshotWithUnsharedMemory_DeletesTheVolumeFromPoolAndDatabase()
    {
        var (web, s1) = await Portal.WebFrontendStoppedWithMemorySnapshotAsync();
        var snapshot = (await Portal.SnapshotAsync(s1))!;

        var result = await Remove(web, s1);

        Assert.Equal(ResultKind.Ok, result.Kind);
        Assert.Equal(1, result.ValueAs<int>());
        Assert.Null(await Portal.SnapshotAsync(s1));
        Assert.Empty(await Portal.MemoryVolumesAsync());
        Assert.Equal((false, false), await Portal.VolumesExistAsync(snapshot.MemoryVolume!));
        Assert.Empty(await Portal.Hypervisor.ListSnapshotNamesAsync(web, Ct));
        Assert.Equal("Snapshot 's1' deletion for VM web-frontend has been completed; its memory volume was removed.", result.Message);
    }

    [Fact]
    public async Task Remove_SnapshotWhoseMemoryTheActiveShares_KeepsTheVolume()
    {
        var (web, s1) = await Portal.WebFrontendStoppedWithMemorySnapshotAsync();
        await Portal.PreviewAsync(web, s1);
        await Portal.CommitAsync(web);
        var mv = (await Portal.SnapshotAsync(s1))!.MemoryVolume!;

        var result = await Remove(web, s1);

        Assert.Equal(ResultKind.Ok, result.Kind);
        Assert.Null(await Portal.SnapshotAsync(s1));
        Assert.Equal(mv.Id, (await Portal.ActiveAsync(web)).MemoryVolumeId);
        Assert.Equal([mv.Id], (await Portal.MemoryVolumesAsync()).Select(m => m.Id));
        Assert.Equal((true, true), await Portal.VolumesExistAsync(mv));
        Assert.Equal("Snapshot 's1' deletion for VM web-frontend has been completed; its memory volume is still used by another snapshot.", result.Message);
    }

    [Fact]
    public async Task Remove_MiddleSnapshot_ReparentsTheNewerOne()
    {
        var agent = await Portal.VmIdAsync("build-agent");
        var s1 = await Portal.CreateSnapshotAsync(agent, "s1");
        var s2 = await Portal.CreateSnapshotAsync(agent, "s2");
        var s3 = await Portal.CreateSnapshotAsync(agent, "s3");
        Assert.Equal(s1, (await Portal.SnapshotAsync(s2))!.ParentId);

        await Portal.RemoveAsync(agent, s2);

        Assert.Equal(s1, (await Portal.SnapshotAsync(s3))!.ParentId);
        Assert.Equal(s3, (await Portal.ActiveAsync(agent)).ParentId);
    }

    [Fact]
    public async Task Remove_VmRunning_IsRefused()
    {
        var web = await Portal.VmIdAsync("web-frontend");
        var s1 = await Portal.CreateSnapshotAsync(web, "s1");

        var result = await Remove(web, s1);

        Assert.Equal((ResultKind.Conflict, "The VM must be Down to remove a snapshot. It is Up."), (result.Kind, result.Message));
        Assert.NotNull(await Portal.SnapshotAsync(s1));
        Assert.Single(await Portal.MemoryVolumesAsync());
    }

    [Fact]
    public async Task Remove_SnapshotInPreview_IsRefused()
    {
        var agent = await Portal.VmIdAsync("build-agent");
        var s1 = await Portal.CreateSnapshotAsync(agent, "s1");
        await Portal.PreviewAsync(agent, s1);

        var result = await Remove(agent, s1);

        Assert.Equal((ResultKind.Conflict, "Cannot remove it: the snapshot is in preview. Commit or undo the preview first."), (result.Kind, result.Message));
        Assert.Equal(SnapshotStatus.InPreview, (await Portal.SnapshotAsync(s1))!.Status);
    }

    [Fact]
    public async Task Remove_TheActiveSnapshot_IsRefused()
    {
        var agent = await Portal.VmIdAsync("build-agent");

        var result = await Remove(agent, (await Portal.ActiveAsync(agent)).Id);

        Assert.Equal((ResultKind.Conflict, "Cannot remove it: 'Active VM' is not a regular snapshot."), (result.Kind, result.Message));
    }

    [Fact]
    public async Task Remove_UnknownSnapshot_IsNotFound()
    {
        var agent = await Portal.VmIdAsync("build-agent");

        var result = await Remove(agent, Guid.NewGuid());

        Assert.Equal(ResultKind.NotFound, result.Kind);
    }
}
