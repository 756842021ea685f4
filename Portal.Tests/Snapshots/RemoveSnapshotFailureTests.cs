using Portal.Core.Commands;
using Portal.Core.Hypervisor;
using Portal.Core.Snapshots;
using Portal.Tests.Support;

namespace Portal.Tests.Snapshots;

public sealed class RemoveSnapshotFailureTests() : PortalTest(injectFaults: true)
{
    [Fact]
    public async Task Remove_HostRefusesToDeleteTheMemory_SnapshotGoesAndTheVolumeStaysTracked()
    {
        var (web, s1) = await Portal.WebFrontendStoppedWithMemorySnapshotAsync();
        var mv = (await Portal.SnapshotAsync(s1))!.MemoryVolume!;
        Portal.Faults.FailOn(nameof(IHypervisor.DeleteVolumeAsync));

        var result = await Portal.RemoveAsync(web, s1);

        Assert.Equal(0, result.ValueAs<int>());
        Assert.Null(await Portal.SnapshotAsync(s1));
        Assert.Equal([mv.Id], (await Portal.MemoryVolumesAsync()).Select(m => m.Id));
        Assert.Equal((true, true), await Portal.VolumesExistAsync(mv));
    }

    [Fact]
    public async Task Remove_LibvirtRefusesToDeleteTheSnapshot_SnapshotStaysOk()
    {
        var agent = await Portal.VmIdAsync("build-agent");
        var s1 = await Portal.CreateSnapshotAsync(agent, "s1");
        Portal.Faults.FailOn(nameof(IHypervisor.DeleteSnapshotAsync), 1, agent);

        var result = await Portal.Command<RemoveSnapshotCommand>().ExecuteAsync(new RemoveSnapshotRequest(agent, s1), PortalFixture.Alice, Ct);

        Assert.Equal(ResultKind.Failed, result.Kind);
        Assert.Equal(SnapshotStatus.Ok, (await Portal.SnapshotAsync(s1))!.Status);
        Assert.Single(await Portal.Hypervisor.ListSnapshotNamesAsync(agent, Ct));
        await Portal.AssertNothingHalfDoneAsync(agent);
    }
}
