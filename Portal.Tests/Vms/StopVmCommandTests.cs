using Portal.Core.Commands;
using Portal.Core.Hypervisor;
using Portal.Core.Vms;
using Portal.Tests.Support;

namespace Portal.Tests.Vms;

public sealed class StopVmCommandTests : PortalTest
{
    private Task<CommandResult> Stop(Guid vmId, bool graceful = false) =>
        Portal.Command<StopVmCommand>().ExecuteAsync(new StopVmRequest(vmId, graceful), PortalFixture.Alice, Ct);

    [Fact]
    public async Task Stop_RunningVm_PowersItOff()
    {
        var web = await Portal.VmIdAsync("web-frontend");
        var before = await Portal.LastTransitionIdAsync(web);

        var result = await Stop(web);

        Assert.Equal((ResultKind.Ok, "VM web-frontend powered off."), (result.Kind, result.Message));
        Assert.Equal([VmStatus.PoweringDown, VmStatus.Down], await Portal.StatusesSinceAsync(web, before));
        Assert.Equal(DomainRunState.ShutOff, await Portal.DomainStateAsync(web));
    }

    [Fact]
    public async Task Stop_Graceful_VmGoesDownWhenTheGuestHasShutDown()
    {
        var web = await Portal.VmIdAsync("web-frontend");

        var result = await Stop(web, graceful: true);

        Assert.Equal("VM web-frontend shut down.", result.Message);
        await Portal.WaitForStatusAsync(web, VmStatus.Down);
        Assert.Equal(DomainRunState.ShutOff, await Portal.DomainStateAsync(web));
    }

    [Fact]
    public async Task Stop_DownVm_IsRefused()
    {
        var agent = await Portal.VmIdAsync("build-agent");

        var result = await Stop(agent);

        Assert.Equal((ResultKind.Conflict, "The VM is Down; only a running VM can be stopped."), (result.Kind, result.Message));
    }
}
