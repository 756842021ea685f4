using Portal.E2E.Infrastructure;
using Portal.E2E.Pages;

namespace Portal.E2E.Routing;

[Collection(SharedPortalCollection.Name)]
public sealed class NotFoundTests(PortalFixture portal) : PortalTest(portal)
{
    [Fact]
    public async Task UnknownPath_SignedIn_ShowsTheNotFoundPageWith404()
    {
        await SignInAsync();
        var mark = Portal.Process.OutputMark;

        var response = await Page.GotoAsync("/no/such/page");

        Assert.Equal(404, response?.Status);
        var shell = new PortalShell(Page);
        await Expect(shell.NotFound).ToContainTextAsync("Page not found");
        await Expect(Page.GetByText("Something went wrong")).ToHaveCountAsync(0);
        await shell.WaitInteractiveAsync();
        await Page.GetByRole(AriaRole.Link, new() { Name = "Back to the virtual machines" }).ClickAsync();
        await Expect(Page).ToHaveURLAsync(VmsUrl());
        await Expect(new VmsPage(Page).Grid).ToBeVisibleAsync();
        // Backend: nothing was thrown on the way, and the portal is still healthy.
        Assert.DoesNotContain(Portal.Process.OutputSince(mark), l => l.Contains("Exception", StringComparison.Ordinal) || l.StartsWith("fail:"));
        Assert.Equal("healthy", (await Portal.Process.HealthAsync(TestContext.Current.CancellationToken)).Status);
    }

    [Fact]
    public async Task UnknownPath_NavigatedInsideTheApp_ShowsTheNotFoundPage()
    {
        await SignInAsync();
        await MarkNoReloadAsync(Page);

        await Page.EvaluateAsync("() => Blazor.navigateTo('/still/nothing/here')");

        await Expect(Page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("/still/nothing/here$"));
        await Expect(new PortalShell(Page).NotFound).ToContainTextAsync("Page not found");
        await ExpectNotReloadedAsync(Page);
    }
}
