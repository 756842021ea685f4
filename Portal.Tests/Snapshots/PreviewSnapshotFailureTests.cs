using Portal.Core.Audit;
using Portal.Core.Commands;
using Portal.Core.Hypervisor;
using Portal.Core.Snapshots;
using Portal.Core.Vms;
using Portal.Tests.Support;

namespace Portal.Tests.Snapshots;

public sealed class PreviewSnapshotFailureTests() : PortalTest(injectFaults: true)
{
    private Task<CommandResult> Preview(Guid vmId, Guid snapshotId) =>
        Portal.Command<PreviewSnapshotCommand>().ExecuteAsync(new PreviewSnapshotRequest(vmId, snapshotId), PortalFixture.Alice, Ct);

    private async Task AssertNotInPreviewAsync(Guid vmId, Guid snapshotId, Snapshot activeBefore)
    {
        var vm = await Portal.LoadVmAsync(vmId);
        Assert.Equal(SnapshotStatus.Ok, vm.Snapshots.Single(s => s.Id == snapshotId).Status);
        Assert.DoesNotContain(vm.Snapshots, s => s.Type == SnapshotType.Preview);
        var active = vm.Snapshots.Single(s => s.Type == SnapshotType.Active);
        Assert.Equal((activeBefore.Id, activeBefore.MemoryVolumeId, activeBefore.Description), (active.Id, active.MemoryVolumeId, active.Description));
        Assert.Equal(2, vm.Snapshots.Count);
    }

    [Fact]
    public async Task Preview_PreparingTheDisksFails_NothingChanges()
    {
        var (web, s1) = await Portal.WebFrontendStoppedWithMemorySnapshotAsync();
        var activeBefore = await Portal.ActiveAsync(web);
        var before = await Portal.LastTransitionIdAsync(web);
        Portal.Faults.FailOn(nameof(IHypervisor.WithFreshOverlaysAsync), 1);

        var result = await Preview(web, s1);

        Assert.Equal(ResultKind.Failed, result.Kind);
        Assert.Contains("injected fault in WithFreshOverlaysAsync", result.Message);
        await AssertNotInPreviewAsync(web, s1, activeBefore);
        Assert.Equal([VmStatus.ImageLocked, VmStatus.Down], await Portal.StatusesSinceAsync(web, before));
        Assert.Equal(AuditOutcome.Failure, (await Portal.AuditAsync(web)).Last().Outcome);
        await Portal.AssertNothingHalfDoneAsync(web);
    }

    [Fact]
    public async Task Preview_RedefiningTheDomainFails_NothingChanges()
    {
        var (web, s1) = await Portal.WebFrontendStoppedWithMemorySnapshotAsync();
        // Another client changes the VM after the snapshot, so the preview must redefine it from the snapshot.
        var xml = await Portal.Hypervisor.GetDomainXmlAsync(web, inactive: true, Ct);
        await Portal.Hypervisor.DefineDomainAsync(xml.Replace("<vcpu placement='static'>1</vcpu>", "<vcpu placement='static'>2</vcpu>"), Ct);
        Assert.NotEqual(xml, await Portal.Hypervisor.GetDomainXmlAsync(web, inactive: true, Ct));
        var activeBefore = await Portal.ActiveAsync(web);
        Portal.Faults.FailOn(nameof(IHypervisor.DefineDomainAsync));

        var result = await Preview(web, s1);

        Assert.Equal(ResultKind.Failed, result.Kind);
        Assert.Contains("injected fault in DefineDomainAsync", result.Message);
        await AssertNotInPreviewAsync(web, s1, activeBefore);
        Assert.Equal(AuditOutcome.Failure, (await Portal.AuditAsync(web)).Last().Outcome);
        await Portal.AssertNothingHalfDoneAsync(web);
    }

    [Fact]
    public async Task Preview_AfterAFailedPreview_Succeeds()
    {
        var (web, s1) = await Portal.WebFrontendStoppedWithMemorySnapshotAsync();
        Portal.Faults.FailOn(nameof(IHypervisor.WithFreshOverlaysAsync), 1);
        Assert.Equal(ResultKind.Failed, (await Preview(web, s1)).Kind);

        await Portal.PreviewAsync(web, s1);

        Assert.Equal(SnapshotStatus.InPreview, (await Portal.SnapshotAsync(s1))!.Status);
    }
}
