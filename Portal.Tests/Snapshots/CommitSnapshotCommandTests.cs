using Portal.Core.Commands;
using Portal.Core.Snapshots;
using Portal.Core.Vms;
using Portal.Tests.Support;

namespace Portal.Tests.Snapshots;

/// <summary>Commit rules 1–2 of DESIGN.md.</summary>
public sealed class CommitSnapshotCommandTests : PortalTest
{
    private Task<CommandResult> Commit(Guid vmId) =>
        Portal.Command<CommitSnapshotCommand>().ExecuteAsync(new CommitSnapshotRequest(vmId), PortalFixture.Alice, Ct);

    [Fact]
    public async Task Commit_OlderSnapshotInPreview_RemovesNewerSnapshotsAndTheirUnreferencedMemory()
    {
        var web = await Portal.VmIdAsync("web-frontend");
        var s1 = await Portal.CreateSnapshotAsync(web, "s1");
        var s2 = await Portal.CreateSnapshotAsync(web, "s2");
        var s3 = await Portal.CreateSnapshotAsync(web, "s3 no memory", saveMemory: false);
        await Portal.StopAsync(web);
        var m1 = (await Portal.SnapshotAsync(s1))!.MemoryVolume!;
        var m2 = (await Portal.SnapshotAsync(s2))!.MemoryVolume!;
        var s2Name = (await Portal.SnapshotAsync(s2))!.HypervisorName!;
        await Portal.PreviewAsync(web, s1);
        var before = await Portal.LastTransitionIdAsync(web);

        var result = await Commit(web);

        Assert.Equal(ResultKind.Ok, result.Kind);
        var vm = await Portal.LoadVmAsync(web);
        Assert.Equal([SnapshotType.Regular, SnapshotType.Active], vm.Snapshots.OrderBy(s => s.Type).Select(s => s.Type));
        Assert.Equal(SnapshotStatus.Ok, vm.Snapshots.Single(s => s.Id == s1).Status);
        Assert.Equal(m1.Id, vm.Snapshots.Single(s => s.Type == SnapshotType.Active).MemoryVolumeId);
        Assert.Null(await Portal.SnapshotAsync(s2));
        Assert.Null(await Portal.SnapshotAsync(s3));

        Assert.Equal([m1.Id], (await Portal.MemoryVolumesAsync()).Select(m => m.Id));
        Assert.Equal((false, false), await Portal.VolumesExistAsync(m2));
        Assert.Equal((true, true), await Portal.VolumesExistAsync(m1));
        Assert.DoesNotContain(s2Name, await Portal.Hypervisor.ListSnapshotNamesAsync(web, Ct));
        Assert.Single(await Portal.Hypervisor.ListSnapshotNamesAsync(web, Ct));

        Assert.Equal([VmStatus.ImageLocked, VmStatus.Down], await Portal.StatusesSinceAsync(web, before));
        Assert.Equal("VM web-frontend was restored from Snapshot 's1' (2 newer snapshot(s) removed, 1 memory volume(s) freed).", result.Message);
    }

    [Fact]
    public async Task Commit_PreviewSnapshotWithSharedMemory_KeepsTheVolumeStillReferenced()
    {
        // The Active gets s1's memory (preview + commit); then a newer offline snapshot is previewed and committed:
        // the pre-preview Active goes, but its memory is still s1's.
        var (web, s1) = await Portal.WebFrontendStoppedWithMemorySnapshotAsync();
        await Portal.PreviewAsync(web, s1);
        await Portal.CommitAsync(web);
        var m1 = (await Portal.ActiveAsync(web)).MemoryVolume!;
        var s2 = await Portal.CreateSnapshotAsync(web, "s2 offline");
        await Portal.PreviewAsync(web, s2);

        await Portal.CommitAsync(web);

        var vm = await Portal.LoadVmAsync(web);
        Assert.DoesNotContain(vm.Snapshots, s => s.Type == SnapshotType.Preview);
        Assert.Equal(m1.Id, vm.Snapshots.Single(s => s.Id == s1).MemoryVolumeId);
        Assert.Null(vm.Snapshots.Single(s => s.Type == SnapshotType.Active).MemoryVolumeId);
        Assert.Equal([m1.Id], (await Portal.MemoryVolumesAsync()).Select(m => m.Id));
        Assert.Equal((true, true), await Portal.VolumesExistAsync(m1));
    }

    [Fact]
    public async Task Commit_PreviewWithoutMemory_ActiveHasNone()
    {
        var (web, s1) = await Portal.WebFrontendStoppedWithMemorySnapshotAsync();
        await Portal.PreviewAsync(web, s1, restoreMemory: false);

        await Portal.CommitAsync(web);

        Assert.Null((await Portal.ActiveAsync(web)).MemoryVolumeId);
        Assert.NotNull((await Portal.SnapshotAsync(s1))!.MemoryVolumeId);
        Assert.False((await Portal.Queries.VmAsync(web, Ct))!.ActiveHasMemory);
    }

    [Fact]
    public async Task Commit_NoPreview_IsRefused()
    {
        var agent = await Portal.VmIdAsync("build-agent");

        var result = await Commit(agent);

        Assert.Equal((ResultKind.Conflict, "The VM has no snapshot in preview."), (result.Kind, result.Message));
    }

    [Fact]
    public async Task Commit_VmRunningInPreview_IsRefused()
    {
        var agent = await Portal.VmIdAsync("build-agent");
        var s1 = await Portal.CreateSnapshotAsync(agent, "s1");
        await Portal.PreviewAsync(agent, s1);
        await Portal.RunAsync(agent);

        var result = await Commit(agent);

        Assert.Equal((ResultKind.Conflict, "The VM must be Down to commit a snapshot. It is Up."), (result.Kind, result.Message));
        Assert.Equal(SnapshotStatus.InPreview, (await Portal.SnapshotAsync(s1))!.Status);
    }
}
