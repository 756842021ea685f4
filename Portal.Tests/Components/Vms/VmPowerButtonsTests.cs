using Bunit;
using Portal.Components.Pages.Vms;
using Portal.Core;
using Portal.Core.Vms;
using Portal.Tests.Components.Support;

namespace Portal.Tests.Components.Vms;

public sealed class VmPowerButtonsTests : PortalComponentTest
{
    [Theory]
    [InlineData(VmStatus.Down, true, false)]
    [InlineData(VmStatus.Up, false, true)]
    [InlineData(VmStatus.Paused, false, true)]
    [InlineData(VmStatus.SavingState, false, false)]
    public void Buttons_ByStatus_RunOnlyWhenDownStopOnlyWhenRunning(VmStatus status, bool canRun, bool canStop)
    {
        var cut = Render<VmPowerButtons>(p => p.Add(b => b.Vm, Row(status)));

        Assert.Equal(!canRun, cut.Find("[data-testid=vm-demo-run]").HasAttribute("disabled"));
        Assert.Equal(!canStop, cut.Find("[data-testid=vm-demo-stop]").HasAttribute("disabled"));
    }

    [Fact]
    public void Buttons_LockHeld_BothDisabledNamingTheOperation()
    {
        var cut = Render<VmPowerButtons>(p => p.Add(b => b.Vm, Row(VmStatus.Up) with { LockedBy = "Preview snapshot" }));

        foreach (var action in new[] { "run", "stop" })
        {
            var button = cut.Find($"[data-testid=vm-demo-{action}]");
            Assert.True(button.HasAttribute("disabled"));
            Assert.Equal("'Preview snapshot' is in progress on this VM.", button.GetAttribute("title"));
        }
    }

    [Fact]
    public async Task RunButton_Clicked_CallsOnRunOnce()
    {
        var runs = 0;
        var cut = Render<VmPowerButtons>(p => p.Add(b => b.Vm, Row(VmStatus.Down)).Add(b => b.OnRun, () => runs++));

        await cut.Find("[data-testid=vm-demo-run]").ClickAsync(new());

        Assert.Equal(1, runs);
    }

    private static VmRow Row(VmStatus status) => new(Guid.NewGuid(), "demo", "Production", "4.7", true, "embedded-test-host",
        1024, 16384, false, status, DateTime.UtcNow, false, false, false, null);
}
