using Portal.E2E.Infrastructure;
using Portal.E2E.Pages;
using Portal.E2E.Snapshots;

namespace Portal.E2E.Vms;

/// <summary>
/// A click that lands just after the VM changed, before the browser shows the change, meets a refusal: the browser still
/// shows the button enabled, the server has disabled it. The user is told why, and nothing runs. The page's updates are
/// held back (<see cref="HeldServerFrames"/>) while another administrator changes the VM, so the window is as wide as the
/// test needs; with the VM stopped and started a few times a second, about one click in three on Create snapshot landed
/// in it and did nothing.
/// </summary>
public sealed class RefusedClickTests(PortalFixture portal) : PortalTest(portal), IClassFixture<PortalFixture>
{
    [Fact]
    public async Task StopClickedAfterAnotherAdminStoppedTheVm_SaysWhyAndRunsNothing()
    {
        var frames = await HeldServerFrames.RouteAsync(Page);
        await SignInAsync();
        await OpenVmDetailsAsync(DemoVms.WebFrontend);
        var details = new VmDetailsPage(Page);
        await details.ExpectStatusAsync("Up");
        var other = await NewSignedInPageAsync();
        await OpenVmDetailsAsync(DemoVms.WebFrontend, other);

        frames.Hold();
        var audit = await Db.AuditMarkAsync();
        await new VmSteps(other, Db, DemoVms.WebFrontend).StopAsync();
        const string reason = "The VM is Down; only a running VM can be stopped.";
        await Poll.UntilAsync(() => Task.FromResult(frames.Holds(reason)), held => held, "the first page's render of the stopped VM, held");
        await Expect(details.StopButton(DemoVms.WebFrontend)).ToBeEnabledAsync();
        await details.StopButton(DemoVms.WebFrontend).ClickAsync();
        frames.Release();

        await Expect(new PortalShell(Page).Snackbar.Filter(new() { HasText = "Stop VM was refused" })).ToContainTextAsync(reason);
        await Expect(details.StopButton(DemoVms.WebFrontend)).ToBeDisabledAsync();
        await details.ExpectStatusAsync("Down");
        var stops = (await Db.AuditAsync(audit, DemoVms.WebFrontend)).Where(e => e.Operation == "Stop VM").ToList();
        Assert.Single(stops);
    }

    [Fact]
    public async Task SnapshotRemoveClickedAfterAnotherAdminRanTheVm_SaysWhyWithoutAskingToConfirm()
    {
        var frames = await HeldServerFrames.RouteAsync(Page);
        await SignInAsync();
        await OpenVmDetailsAsync(DemoVms.BuildAgent);
        var steps = new VmSteps(Page, Db, DemoVms.BuildAgent);
        await steps.CreateSnapshotAsync("before the upgrade", saveMemory: null);
        var other = await NewSignedInPageAsync();
        await OpenVmDetailsAsync(DemoVms.BuildAgent, other);

        frames.Hold();
        await new VmSteps(other, Db, DemoVms.BuildAgent).RunAsync();
        const string reason = "The VM must be Down to remove a snapshot. It is Up.";
        await Poll.UntilAsync(() => Task.FromResult(frames.Holds(reason)), held => held, "the first page's render of the running VM, held");
        var remove = Page.GetByRole(AriaRole.Button, new() { Name = "Remove before the upgrade", Exact = true });
        await Expect(remove).ToBeEnabledAsync();
        await remove.ClickAsync();
        frames.Release();

        await Expect(new PortalShell(Page).Snackbar.Filter(new() { HasText = "Remove snapshot was refused" })).ToContainTextAsync(reason);
        await Expect(remove).ToBeDisabledAsync();
        await Expect(new ConfirmDialog(Page, "Remove snapshot").Dialog).ToHaveCountAsync(0);
        Assert.Single(await Db.SnapshotsAsync(DemoVms.BuildAgent), s => s.Description == "before the upgrade");
    }

    [Fact]
    public async Task StatelessToggledAfterAnotherAdminRanTheVm_SaysWhyAndShowsTheSwitchAsItIs()
    {
        var frames = await HeldServerFrames.RouteAsync(Page);
        await SignInAsync();
        await OpenVmDetailsAsync(DemoVms.LegacyReports);
        var details = new VmDetailsPage(Page);
        await details.ExpectStatusAsync("Down");
        await Page.GetByRole(AriaRole.Tab, new() { Name = "General", Exact = true }).ClickAsync();
        var toggle = Page.GetByTestId("vm-stateless-toggle");
        await Expect(toggle).Not.ToBeCheckedAsync();
        var other = await NewSignedInPageAsync();
        await OpenVmDetailsAsync(DemoVms.LegacyReports, other);

        frames.Hold();
        var audit = await Db.AuditMarkAsync();
        await new VmSteps(other, Db, DemoVms.LegacyReports).RunAsync();
        // The switch's reason shows in a tooltip only on hover; the Run button's, rendered with it, is in the same frame.
        await Poll.UntilAsync(() => Task.FromResult(frames.Holds("The VM cannot be run while it is Up.")), held => held, "the first page's render of the running VM, held");
        await Expect(toggle).ToBeEnabledAsync();
        await toggle.ClickAsync();
        frames.Release();

        const string reason = "The VM must be Down to change whether it is stateless. It is Up.";
        await Expect(new PortalShell(Page).Snackbar.Filter(new() { HasText = "Edit VM was refused" })).ToContainTextAsync(reason);
        await Expect(toggle).ToBeDisabledAsync();
        // The browser had flipped the checkbox; it shows the VM as it is again, not a change that was not made.
        await Expect(toggle).Not.ToBeCheckedAsync();
        Assert.False((await Db.VmAsync(DemoVms.LegacyReports)).IsStateless);
        Assert.DoesNotContain(await Db.AuditAsync(audit, DemoVms.LegacyReports), e => e.Operation == "Edit VM");
    }
}
