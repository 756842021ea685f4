using Portal.Core.Audit;
using Portal.Core.Vms;
using Portal.E2E.Infrastructure;
using Portal.E2E.Pages;

namespace Portal.E2E.Vms;

/// <summary>Runs and stops VMs, so it has a portal of its own.</summary>
public sealed class VmsPageTests(PortalFixture portal) : PortalTest(portal), IClassFixture<PortalFixture>
{
    private const string Vm = DemoVms.BuildAgent;

    [Fact]
    public async Task RunThenStop_DownVm_EveryOpenPageSeesTheStatusLive()
    {
        await SignInAsync();
        var first = new VmsPage(Page);
        var secondPage = await NewSignedInPageAsync();
        var second = new VmsPage(secondPage);
        await first.ExpectStatusAsync(Vm, "Down");
        await second.ExpectStatusAsync(Vm, "Down");
        await MarkNoReloadAsync(Page);
        await MarkNoReloadAsync(secondPage);
        var transitions = await Db.TransitionMarkAsync();
        var audit = await Db.AuditMarkAsync();

        await first.RunButton(Vm).ClickAsync();

        await first.ExpectStatusAsync(Vm, "Up");
        await Expect(first.Status(Vm)).ToHaveTextAsync("Up");
        await second.ExpectStatusAsync(Vm, "Up");
        Assert.Equal([VmStatus.PoweringUp, VmStatus.Up], await Db.StatusSequenceAsync(Vm, transitions));
        Assert.Equal(VmStatus.Up, (await Db.VmAsync(Vm)).Status);
        var run = Assert.Single(await Db.WaitForAuditAsync(audit, Vm));
        Assert.Equal(("Run VM", AuditOutcome.Success, Portal.AdminUser), (run.Operation, run.Outcome, run.User));

        // Another operator, on a page opened now, stops it; the two pages open all along follow.
        transitions = await Db.TransitionMarkAsync();
        audit = await Db.AuditMarkAsync();
        var third = new VmsPage(await NewSignedInPageAsync());
        await third.StopButton(Vm).ClickAsync();

        await first.ExpectStatusAsync(Vm, "Down");
        await second.ExpectStatusAsync(Vm, "Down");
        await Expect(second.Status(Vm)).ToHaveTextAsync("Down");
        Assert.Equal([VmStatus.PoweringDown, VmStatus.Down], await Db.StatusSequenceAsync(Vm, transitions));
        Assert.Equal(VmStatus.Down, (await Db.VmAsync(Vm)).Status);
        var stop = Assert.Single(await Db.WaitForAuditAsync(audit, Vm));
        Assert.Equal(("Stop VM", AuditOutcome.Success, Portal.AdminUser), (stop.Operation, stop.Outcome, stop.User));
        await ExpectNotReloadedAsync(Page);
        await ExpectNotReloadedAsync(secondPage);
    }

    [Fact]
    public async Task RunThenStop_DownVm_ButtonsFollowOnEveryOpenPage()
    {
        await SignInAsync();
        var first = new VmsPage(Page);
        var second = new VmsPage(await NewSignedInPageAsync());
        await Expect(first.StopButton(Vm)).ToBeDisabledAsync();
        await Expect(first.RunButton(Vm)).ToBeEnabledAsync();

        await first.RunButton(Vm).ClickAsync();

        await first.ExpectStatusAsync(Vm, "Up");
        await Expect(first.StopButton(Vm)).ToBeEnabledAsync();
        await Expect(first.RunButton(Vm)).ToBeDisabledAsync();
        await Expect(second.StopButton(Vm)).ToBeEnabledAsync();

        await second.StopButton(Vm).ClickAsync();

        await second.ExpectStatusAsync(Vm, "Down");
        await Expect(second.RunButton(Vm)).ToBeEnabledAsync();
        await Expect(first.RunButton(Vm)).ToBeEnabledAsync();
    }
}
