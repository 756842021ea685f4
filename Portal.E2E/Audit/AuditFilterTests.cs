using System.Globalization;
using System.Text.RegularExpressions;
using Portal.E2E.Infrastructure;
using Portal.E2E.Pages;

namespace Portal.E2E.Audit;

/// <summary>The audit log filtered as an administrator does it: a name typed and Enter, an outcome chosen, Back.</summary>
[Collection(SharedPortalCollection.Name)]
public sealed class AuditFilterTests(PortalFixture portal) : PortalTest(portal)
{
    [Fact]
    public async Task Filter_UserTypedThenOutcomeChosen_TheAddressAndRowsFollowAndBackUndoes()
    {
        var stranger = await StrangerFailsToSignInAsync();
        var audit = new AuditPage(Page);
        await Page.GotoAsync(AuditPage.Path);
        await new PortalShell(Page).WaitInteractiveAsync();

        await audit.User.FillAsync(stranger);
        await audit.User.PressAsync("Enter");

        await Expect(Page).ToHaveURLAsync(new Regex($"/audit\\?user={stranger}$"));
        await Expect(audit.Rows).ToHaveCountAsync(1);
        await Expect(audit.Rows).ToHaveAttributeAsync("data-outcome", "Failure");
        await Expect(audit.Rows).ToContainTextAsync($"User {stranger} failed to sign in");

        await audit.Outcome.SelectOptionAsync("Successes");

        await Expect(Page).ToHaveURLAsync(new Regex($"/audit\\?outcome=Success&user={stranger}$"));
        await Expect(audit.Empty).ToHaveTextAsync("No entry matches the filter.");
        await Expect(audit.User).ToHaveValueAsync(stranger);

        await Page.GoBackAsync();

        await Expect(audit.Rows).ToHaveCountAsync(1);
        await Expect(audit.Outcome).ToHaveValueAsync("");

        await audit.ClearFilter.ClickAsync();

        await Expect(Page).ToHaveURLAsync(new Regex("/audit$"));
        await Expect(audit.User).ToHaveValueAsync("");
        await Expect(audit.ClearFilter).ToBeHiddenAsync();
        await Expect(audit.Rows.First).ToBeVisibleAsync();
    }

    [Fact]
    public async Task Filter_BeforePicked_TheLogIsReadBackFromThatMinute()
    {
        var stranger = await StrangerFailsToSignInAsync();
        var audit = new AuditPage(Page);
        await Page.GotoAsync($"{AuditPage.Path}?user={stranger}");
        await new PortalShell(Page).WaitInteractiveAsync();
        await Expect(audit.Rows).ToHaveCountAsync(1);
        var at = DateTime.ParseExact((await audit.Rows.Locator("td").First.TextContentAsync())!.Trim(), "yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture);
        var minute = at.AddSeconds(-at.Second);

        await audit.Before.FillAsync(minute.ToString("yyyy-MM-ddTHH:mm", CultureInfo.InvariantCulture));

        await Expect(Page).ToHaveURLAsync(new Regex($"/audit\\?user={stranger}&before={minute:yyyy-MM-dd}T{minute:HH}%3A{minute:mm}$"));
        await Expect(audit.Empty).ToHaveTextAsync("No entry matches the filter.");

        await audit.Before.FillAsync(minute.AddMinutes(1).ToString("yyyy-MM-ddTHH:mm", CultureInfo.InvariantCulture));

        await Expect(audit.Rows).ToHaveCountAsync(1);
        await Expect(audit.Rows).ToContainTextAsync($"User {stranger} failed to sign in");
        await Expect(audit.User).ToHaveValueAsync(stranger);

        // The entry's time opens the whole log from its second back: every user's entries, this one among the newest.
        await audit.Rows.Locator("td").First.GetByRole(AriaRole.Link).ClickAsync();

        var next = at.AddSeconds(1);
        await Expect(Page).ToHaveURLAsync(new Regex($"/audit\\?before={next:yyyy-MM-dd}T{next:HH}%3A{next:mm}%3A{next:ss}$"));
        await Expect(audit.User).ToHaveValueAsync("");
        await Expect(audit.Rows.Filter(new() { HasText = $"User {stranger} failed to sign in" })).ToHaveCountAsync(1);
    }

    [Fact]
    public async Task Filter_OutcomePickedBeforeTheAddressFollowedTheName_BothApply()
    {
        // A slow connection: what the server sends the page (here, the navigation to the name's address) is held back
        // while the administrator goes on to the outcome.
        var frames = await HeldServerFrames.RouteAsync(Page);
        await SignInAsync();
        var audit = new AuditPage(Page);
        await Page.GotoAsync(AuditPage.Path);
        await new PortalShell(Page).WaitInteractiveAsync();

        frames.Hold();
        await audit.User.FillAsync("admin");
        await audit.User.PressAsync("Tab"); // leaving the box applies the name
        await audit.Outcome.SelectOptionAsync("Successes");
        await Poll.UntilAsync(() => Task.FromResult(frames.Holds("outcome=Success")), held => held, "the outcome's navigation, held");
        frames.Release();

        await Expect(Page).ToHaveURLAsync(new Regex("/audit\\?outcome=Success&user=admin$"));
        await Expect(audit.User).ToHaveValueAsync("admin");
        await Expect(audit.Outcome).ToHaveValueAsync("Success");
        await Expect(audit.Rows.First).ToContainTextAsync("User admin signed in");
    }

    /// <summary>A failed sign-in under a name of the test's own (one Failure entry by that user, whatever other tests
    /// wrote), then the admin signs in. Returns the name.</summary>
    private async Task<string> StrangerFailsToSignInAsync()
    {
        var stranger = "stranger-" + Guid.NewGuid().ToString("N")[..8];
        await Page.GotoAsync(LoginPage.Path);
        await new LoginPage(Page).SubmitAsync(stranger, "not-a-password");
        await Expect(new LoginPage(Page).Error).ToBeVisibleAsync();
        await SignInAsync();
        return stranger;
    }
}
