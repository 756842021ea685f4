using System.Net.Http.Headers;
using System.Text;
using System.Text.RegularExpressions;
using Portal.E2E.Infrastructure;
using Portal.E2E.Pages;

namespace Portal.E2E.Vms;

/// <summary>
/// A prerendered page shows its buttons before its circuit connects. A click then must not be lost: until the page is
/// interactive its content is inert and visibly dimmed, so the click lands once it can be answered.
/// </summary>
public sealed class NoDeadClickTests(PortalFixture portal) : PortalTest(portal), IClassFixture<PortalFixture>
{
    [Fact]
    public async Task VmPage_ClickCreateSnapshotAsSoonAsShownWhileCircuitConnects_OpensTheDialog()
    {
        await SignInAsync();
        var id = (await Db.VmAsync(DemoVms.WebFrontend)).Id;
        // A loaded machine: the circuit connects only after the page is shown and clicked (the test lets it through).
        var connect = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await Page.RouteAsync(new Regex("/_blazor/negotiate"), async route =>
        {
            await connect.Task.WaitAsync(TimeSpan.FromSeconds(30));
            await route.ContinueAsync();
        });
        var shell = new PortalShell(Page);
        var create = new SnapshotsTab(Page).CreateButton;

        await Page.GotoAsync(VmDetailsPage.Path(id), new() { WaitUntil = WaitUntilState.Commit });
        await Expect(Page.GetByTestId("snapshot-create")).ToBeVisibleAsync();
        // The page shows, prerendered, before it is interactive (the case a person met), and says it is connecting.
        await Expect(shell.Main).ToHaveAttributeAsync("data-interactive", "false");
        await Expect(Page.GetByTestId("portal-connecting")).ToBeAttachedAsync();
        await Expect(Page.Locator(".mud-main-content")).ToHaveAttributeAsync("inert", "");

        // The click is made while the page is still connecting; the circuit connects only then.
        var click = Page.GetByTestId("snapshot-create").ClickAsync();
        await Expect(shell.Main).ToHaveAttributeAsync("data-interactive", "false");
        Assert.False(click.IsCompleted);
        connect.SetResult();
        await click;

        await Expect(new CreateSnapshotDialog(Page).Dialog).ToBeVisibleAsync();
        await Expect(shell.Main).ToHaveAttributeAsync("data-interactive", "true");
        await Expect(Page.GetByTestId("portal-connecting")).ToHaveCountAsync(0);
        await Expect(create).ToBeVisibleAsync();

        // The circuit is counted by the metrics.
        using var request = new HttpRequestMessage(HttpMethod.Get, "/metrics");
        request.Headers.Authorization = new AuthenticationHeaderValue("Basic",
            Convert.ToBase64String(Encoding.UTF8.GetBytes($"{Portal.AdminUser}@internal:{Portal.AdminPassword}")));
        using var response = await Portal.Process.Http.SendAsync(request, TestContext.Current.CancellationToken);
        var text = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        var open = Regex.Match(text, @"^portal_circuits_open(\{[^}]*\})? (\d+)", RegexOptions.Multiline);
        Assert.True(open.Success, text);
        Assert.True(int.Parse(open.Groups[2].Value) >= 1, open.Value);
    }
}
