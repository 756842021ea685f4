using System.Net;
using System.Text.RegularExpressions;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Portal.Auth;
using Portal.Core.Audit;
using Portal.Core.Persistence;
using Portal.Tests.Api;
using static Portal.Tests.Api.ApiTestExtensions;

namespace Portal.Tests.Auth;

/// <summary>The sign-in form: anti-forgery, one message for every refusal, audited sign-in and sign-out with the client address.</summary>
public sealed partial class SignInFormTests : IAsyncLifetime
{
    private readonly PortalApiFactory _app = new();

    public async ValueTask InitializeAsync() => await _app.InitializeAsync();

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();

    [Fact]
    public async Task Login_PostWithoutAntiforgeryToken_Answers400AndLogsOneWarningNoError()
    {
        using var client = _app.Anonymous();
        var reply = await client.Post("/account/login", new FormUrlEncodedContent(new Dictionary<string, string>
            { ["username"] = "admin", ["password"] = PortalApiFactory.AdminPassword }));

        Assert.Equal(HttpStatusCode.BadRequest, reply.StatusCode);
        Assert.DoesNotContain(_app.Logs.Entries, e => e.Level >= LogLevel.Error);
        Assert.Contains(_app.Logs.Entries, e => e.Level == LogLevel.Warning && e.Category == "Portal.Auth" && e.Message.Contains("/account/login"));
        Assert.False(reply.Headers.TryGetValues("Set-Cookie", out var cookies) && cookies.Any(c => c.StartsWith("portal.auth=")));
    }

    [Fact]
    public async Task Login_LockedOutAfterFiveFailures_SameRedirectAsAWrongPassword()
    {
        var session = await FormSessionAsync("192.0.2.50");
        var first = await PostLoginAsync(session, "admin", "wrong-1");
        for (var i = 2; i <= 5; i++) await PostLoginAsync(session, "admin", $"wrong-{i}");
        var locked = await PostLoginAsync(session, "admin", PortalApiFactory.AdminPassword);

        Assert.Equal(first.Headers.Location, locked.Headers.Location);
        Assert.Contains("error=invalid", locked.Headers.Location!.OriginalString);
        // The admin, from their own desk, still signs in.
        var desk = await FormSessionAsync("198.51.100.50");
        var signedIn = await PostLoginAsync(desk, "admin", PortalApiFactory.AdminPassword);
        Assert.Equal("/", signedIn.Headers.Location!.OriginalString);
        await using var db = await _app.Services.GetRequiredService<IDbContextFactory<PortalDbContext>>().CreateDbContextAsync(Ct);
        Assert.True(await db.AuditEntries.AnyAsync(e => e.Operation == SignInGuard.Operation && e.Outcome == AuditOutcome.Failure
            && e.Message == "User admin failed to sign in from 192.0.2.50 (web): blocked for this address after 5 failed attempts.", Ct));
    }

    [Fact]
    public async Task SignInAndSignOut_AreAuditedWithTheClientAddress()
    {
        var session = await FormSessionAsync("192.0.2.60");
        var signedIn = await PostLoginAsync(session, "admin", PortalApiFactory.AdminPassword);
        var cookie = signedIn.Headers.GetValues("Set-Cookie").Single(c => c.StartsWith("portal.auth=")).Split(';')[0];

        // Sign out with the form of a signed-in page (its own anti-forgery token, bound to the user).
        using var client = _app.Anonymous();
        using var page = new HttpRequestMessage(HttpMethod.Get, "/account/login");
        page.Headers.Add("Cookie", cookie);
        page.Headers.Add(ClientAddressFilter.Header, "192.0.2.60");
        var pageReply = await client.SendAsync(page, Ct);
        var token = AntiforgeryField().Match(await pageReply.Content.ReadAsStringAsync(Ct)).Groups[1].Value;
        var antiforgeryCookie = pageReply.Headers.GetValues("Set-Cookie").Select(c => c.Split(';')[0]).Where(c => !c.StartsWith("portal.auth="));
        using var logout = new HttpRequestMessage(HttpMethod.Post, "/account/logout")
            { Content = new FormUrlEncodedContent(new Dictionary<string, string> { ["__RequestVerificationToken"] = token }) };
        logout.Headers.Add("Cookie", string.Join("; ", antiforgeryCookie.Append(cookie)));
        logout.Headers.Add(ClientAddressFilter.Header, "192.0.2.60");
        Assert.Equal(HttpStatusCode.Redirect, (await client.SendAsync(logout, Ct)).StatusCode);

        await using var db = await _app.Services.GetRequiredService<IDbContextFactory<PortalDbContext>>().CreateDbContextAsync(Ct);
        var entries = await db.AuditEntries.Where(e => e.User == "admin").Select(e => new { e.Operation, e.Message }).ToListAsync(Ct);
        Assert.Contains(entries, e => e.Operation == "Sign in" && e.Message == "User admin signed in from 192.0.2.60 (web).");
        Assert.Contains(entries, e => e.Operation == "Sign out" && e.Message == "User admin signed out from 192.0.2.60 (web).");
    }

    private sealed record FormSession(string Token, string Cookies, string Address);

    private async Task<FormSession> FormSessionAsync(string address)
    {
        using var client = _app.Anonymous();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/account/login");
        request.Headers.Add(ClientAddressFilter.Header, address);
        var page = await client.SendAsync(request, Ct);
        var token = AntiforgeryField().Match(await page.Content.ReadAsStringAsync(Ct)).Groups[1].Value;
        Assert.NotEmpty(token);
        return new FormSession(token, string.Join("; ", page.Headers.GetValues("Set-Cookie").Select(c => c.Split(';')[0])), address);
    }

    private async Task<HttpResponseMessage> PostLoginAsync(FormSession session, string user, string password)
    {
        using var client = _app.Anonymous();
        using var post = new HttpRequestMessage(HttpMethod.Post, "/account/login")
        {
            Content = new FormUrlEncodedContent(new Dictionary<string, string>
                { ["username"] = user, ["password"] = password, ["returnUrl"] = "/", ["__RequestVerificationToken"] = session.Token }),
        };
        post.Headers.Add("Cookie", session.Cookies);
        post.Headers.Add(ClientAddressFilter.Header, session.Address);
        var reply = await client.SendAsync(post, Ct);
        Assert.Equal(HttpStatusCode.Redirect, reply.StatusCode);
        return reply;
    }

    [GeneratedRegex("name=\"__RequestVerificationToken\"[^>]*?value=\"([^\"]+)\"")]
    private static partial Regex AntiforgeryField();
}
