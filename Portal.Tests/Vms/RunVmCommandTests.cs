using Portal.Core.Commands;
using Portal.Core.Hypervisor;
using Portal.Core.Snapshots;
using Portal.Core.Vms;
using Portal.Tests.Support;

namespace Portal.Tests.Vms;

/// <summary>Run rules 1–2 of DESIGN.md, and the seed's Preview/Commit/Run cases as far as the core goes.</summary>
public sealed class RunVmCommandTests : PortalTest
{
    private Task<CommandResult> Run(Guid vmId) =>
        Portal.Command<RunVmCommand>().ExecuteAsync(new RunVmRequest(vmId), PortalFixture.Alice, Ct);


    [Fact]
    public async Task Run_AfterPreviewWithMemory_RestoresStateWithoutPoweringUp()
    {
        var (web, s1) = await Portal.WebFrontendStoppedWithMemorySnapshotAsync();
        await Portal.PreviewAsync(web, s1);
        var before = await Portal.LastTransitionIdAsync(web);

        var result = await Run(web);

        Assert.Equal((ResultKind.Ok, "VM web-frontend was restored from memory and is Up."), (result.Kind, result.Message));
        Assert.Equal([VmStatus.RestoringState, VmStatus.Up], await Portal.StatusesSinceAsync(web, before));
        Assert.Equal(DomainRunState.Running, await Portal.DomainStateAsync(web));
        Assert.Null((await Portal.ActiveAsync(web)).MemoryVolumeId);
        var mv = (await Portal.SnapshotAsync(s1))!.MemoryVolume!;
        Assert.Equal((true, true), await Portal.VolumesExistAsync(mv));
    }

    [Fact]
    public async Task Run_AfterPreviewWithoutMemory_BootsFresh()
    {
        var (web, s1) = await Portal.WebFrontendStoppedWithMemorySnapshotAsync();
        await Portal.PreviewAsync(web, s1, restoreMemory: false);
        var before = await Portal.LastTransitionIdAsync(web);

        await Portal.RunAsync(web);

        Assert.Equal([VmStatus.PoweringUp, VmStatus.Up], await Portal.StatusesSinceAsync(web, before));
        Assert.Equal(DomainRunState.Running, await Portal.DomainStateAsync(web));
    }

    [Fact]
    public async Task Run_DownVmWithoutMemory_BootsFresh()
    {
        var agent = await Portal.VmIdAsync("build-agent");
        var before = await Portal.LastTransitionIdAsync(agent);

        var result = await Run(agent);

        Assert.Equal("VM build-agent started.", result.Message);
        Assert.Equal([VmStatus.PoweringUp, VmStatus.Up], await Portal.StatusesSinceAsync(agent, before));
        Assert.Equal(DomainRunState.Running, await Portal.DomainStateAsync(agent));
    }

    [Fact]
    public async Task Run_CommittedMemorySnapshot_FirstRunRestoresAndTheSecondBootsFresh()
    {
        var (web, s1) = await Portal.WebFrontendStoppedWithMemorySnapshotAsync();
        await Portal.PreviewAsync(web, s1);
        await Portal.CommitAsync(web);
        Assert.True((await Portal.Queries.VmAsync(web, Ct))!.ActiveHasMemory);
        var first = await Portal.LastTransitionIdAsync(web);

        await Portal.RunAsync(web);
        Assert.Equal([VmStatus.RestoringState, VmStatus.Up], await Portal.StatusesSinceAsync(web, first));
        Assert.False((await Portal.Queries.VmAsync(web, Ct))!.ActiveHasMemory);
        await Portal.StopAsync(web);
        var second = await Portal.LastTransitionIdAsync(web);

        await Portal.RunAsync(web);

        Assert.Equal([VmStatus.PoweringUp, VmStatus.Up], await Portal.StatusesSinceAsync(web, second));
    }

    [Fact]
    public async Task Run_ActiveMemoryNoSnapshotSharesAnyMore_RestoresThenDeletesTheVolume()
    {
        var (web, s1) = await Portal.WebFrontendStoppedWithMemorySnapshotAsync();
        await Portal.PreviewAsync(web, s1);
        await Portal.CommitAsync(web);
        await Portal.RemoveAsync(web, s1);
        var mv = (await Portal.ActiveAsync(web)).MemoryVolume!;
        var before = await Portal.LastTransitionIdAsync(web);

        await Portal.RunAsync(web);

        Assert.Equal([VmStatus.RestoringState, VmStatus.Up], await Portal.StatusesSinceAsync(web, before));
        Assert.Empty(await Portal.MemoryVolumesAsync());
        Assert.Equal((false, false), await Portal.VolumesExistAsync(mv));
    }

    [Fact]
    public async Task Run_RunningVm_IsRefused()
    {
        var web = await Portal.VmIdAsync("web-frontend");

        var result = await Run(web);

        Assert.Equal((ResultKind.Conflict, "The VM cannot be run while it is Up."), (result.Kind, result.Message));
    }

    [Fact]
    public async Task Run_VmGoneFromTheHost_IsRefused()
    {
        var reports = await Portal.VmIdAsync("legacy-reports");
        await Portal.Hypervisor.UndefineDomainAsync(reports, Ct);
        await Wait.UntilAsync(() => Portal.Queries.VmAsync(reports, Ct), r => r!.IsMissingOnHost, "legacy-reports is marked missing");

        var result = await Run(reports);

        Assert.Equal((ResultKind.Conflict, "The VM no longer exists on its host. Remove it from the portal, or define its domain on the host again."), (result.Kind, result.Message));
    }
}
