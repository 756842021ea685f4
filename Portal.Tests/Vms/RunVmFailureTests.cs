using Portal.Core.Audit;
using Portal.Core.Commands;
using Portal.Core.Hypervisor;
using Portal.Core.Snapshots;
using Portal.Core.Vms;
using Portal.Tests.Support;

namespace Portal.Tests.Vms;

/// <summary>A run that fails at any step leaves the VM down, its memory where it was, and a failure in the audit.</summary>
public sealed class RunVmFailureTests() : PortalTest(injectFaults: true)
{
    private Task<CommandResult> Run(Guid vmId) =>
        Portal.Command<RunVmCommand>().ExecuteAsync(new RunVmRequest(vmId), PortalFixture.Alice, Ct);

    /// <summary>web-frontend, stopped, previewing its memory snapshot with the memory: the next run restores.</summary>
    private async Task<Guid> ReadyToRestoreAsync()
    {
        var (web, s1) = await Portal.WebFrontendStoppedWithMemorySnapshotAsync();
        await Portal.PreviewAsync(web, s1);
        return web;
    }

    [Theory]
    [InlineData(nameof(IHypervisor.RestoreFromMemoryAsync))]
    [InlineData(nameof(IHypervisor.ResumeAsync))]
    public async Task Run_RestoreFailsAtAnyStep_VmStaysDownWithItsMemoryForTheNextRun(string method)
    {
        var web = await ReadyToRestoreAsync();
        var memory = (await Portal.ActiveAsync(web)).MemoryVolumeId;
        var before = await Portal.LastTransitionIdAsync(web);
        Portal.Faults.FailOn(method, 1, web);

        var result = await Run(web);

        Assert.Equal(ResultKind.Failed, result.Kind);
        Assert.Equal($"Failed to run vm on VM web-frontend: {method} (test) failed: injected fault in {method}", result.Message);
        Assert.Equal([VmStatus.RestoringState, VmStatus.Down], await Portal.StatusesSinceAsync(web, before));
        Assert.Equal(DomainRunState.ShutOff, await Portal.DomainStateAsync(web));
        Assert.Equal(memory, (await Portal.ActiveAsync(web)).MemoryVolumeId);
        Assert.Equal((AuditOutcome.Failure, result.Message), ((await Portal.AuditAsync(web)).Last().Outcome, (await Portal.AuditAsync(web)).Last().Message));
        await Portal.AssertNothingHalfDoneAsync(web);

        var retry = await Portal.LastTransitionIdAsync(web);
        await Portal.RunAsync(web);
        Assert.Equal([VmStatus.RestoringState, VmStatus.Up], await Portal.StatusesSinceAsync(web, retry));
    }

    [Fact]
    public async Task Run_BootFails_VmStaysDown()
    {
        var agent = await Portal.VmIdAsync("build-agent");
        var before = await Portal.LastTransitionIdAsync(agent);
        Portal.Faults.FailOn(nameof(IHypervisor.StartAsync), 1, agent);

        var result = await Run(agent);

        Assert.Equal(ResultKind.Failed, result.Kind);
        Assert.Equal([VmStatus.PoweringUp, VmStatus.Down], await Portal.StatusesSinceAsync(agent, before));
        Assert.Equal(AuditOutcome.Failure, (await Portal.AuditAsync(agent)).Last().Outcome);
        await Portal.AssertNothingHalfDoneAsync(agent);
    }

    [Fact]
    public async Task Run_StatelessBootFails_StatelessSnapshotIsDropped()
    {
        var kiosk = await Portal.VmIdAsync("kiosk-stateless");
        var active = await Portal.ActiveAsync(kiosk);
        Portal.Faults.FailOn(nameof(IHypervisor.StartAsync), 1, kiosk);

        var result = await Run(kiosk);

        Assert.Equal(ResultKind.Failed, result.Kind);
        var only = Assert.Single((await Portal.LoadVmAsync(kiosk)).Snapshots);
        Assert.Equal(active.Id, only.Id);
        await Portal.AssertNothingHalfDoneAsync(kiosk);
        await Portal.RunAsync(kiosk);
    }

    [Fact]
    public async Task Run_HostRefusesToDeleteTheUsedUpMemory_RunSucceedsAndTheVolumeStaysTracked()
    {
        // The Active alone holds the memory (its snapshot was removed), so after the restore the volume is deleted.
        var web = await ReadyToRestoreAsync();
        await Portal.CommitAsync(web);
        var s1 = (await Portal.LoadVmAsync(web)).Snapshots.Single(s => s.Type == SnapshotType.Regular).Id;
        await Portal.RemoveAsync(web, s1);
        var mv = (await Portal.ActiveAsync(web)).MemoryVolume!;
        Portal.Faults.FailOn(nameof(IHypervisor.DeleteVolumeAsync));

        await Portal.RunAsync(web);

        Assert.Equal(VmStatus.Up, Portal.Monitor.StatusOf(web));
        Assert.Null((await Portal.ActiveAsync(web)).MemoryVolumeId);
        Assert.Equal([mv.Id], (await Portal.MemoryVolumesAsync()).Select(m => m.Id));
        Assert.Equal((true, true), await Portal.VolumesExistAsync(mv));
    }
}
