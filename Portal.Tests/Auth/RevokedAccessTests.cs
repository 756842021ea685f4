using System.Net;
using System.Security.Claims;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Portal.Auth;
using Portal.Core.Auth;
using Portal.Core.Commands;
using Portal.Core.Persistence;
using Portal.Core.Snapshots;
using Portal.Tests.Api;
using Portal.Tests.Support;
using static Portal.Tests.Api.ApiTestExtensions;

namespace Portal.Tests.Auth;

/// <summary>
/// A user deleted, locked out, demoted or whose password was reset loses what an open browser session gave them:
/// commands read the rights from the database, the cookie is checked against the security stamp, and open pages
/// (circuits) revalidate every few seconds. The portal here checks the cookie on every request (interval zero).
/// </summary>
public sealed partial class RevokedAccessTests : IAsyncLifetime
{
    private readonly PortalApiFactory _app = new() { Settings = { ["Security:RevalidationInterval"] = "00:00:00" } };

    public async ValueTask InitializeAsync() => await _app.InitializeAsync();

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();

    [Fact]
    public async Task DeletedAdmin_OpenSession_PagesRedirectHubRefusedCommandsForbidden()
    {
        await AddUserAsync("admin2", Roles.Admin);
        var cookie = await SignInAsync("admin2");
        var principal = await PrincipalAsync("admin2");
        Assert.Equal(HttpStatusCode.OK, (await GetAsync("/vms", cookie)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await NegotiateAsync(cookie)).StatusCode);

        await WithUsersAsync(async users => Assert.True((await users.DeleteAsync((await users.FindByNameAsync("admin2"))!)).Succeeded));

        await AssertSignedOutAsync(cookie);
        var actor = await ActorAsync(principal);
        Assert.False(actor.IsAdmin || actor.IsHelpdesk);
        var agent = PortalApiFactory.BuildAgent;
        var result = await _app.Services.GetRequiredService<RemoveSnapshotCommand>().ExecuteAsync(new RemoveSnapshotRequest(agent, Guid.NewGuid()), actor, Ct);
        Assert.Equal(ResultKind.Forbidden, result.Kind);
    }

    [Fact]
    public async Task PasswordReset_OpenSession_PagesRedirectAndHubRefused()
    {
        await AddUserAsync("reset-me", Roles.Helpdesk);
        var cookie = await SignInAsync("reset-me");
        Assert.Equal(HttpStatusCode.OK, (await GetAsync("/vms", cookie)).StatusCode);

        var reset = await _app.Services.GetRequiredService<Portal.Users.UserAdministration>()
            .ResetPasswordAsync(Actor.Admin("admin"), "reset-me", "Another-pass-2026", Ct);
        Assert.True(reset.Succeeded, reset.Message);

        await AssertSignedOutAsync(cookie);
    }

    [Fact]
    public async Task LockedOutUser_OpenSession_PagesRedirectAndCommandsForbidden()
    {
        await AddUserAsync("locked-me", Roles.Admin);
        var cookie = await SignInAsync("locked-me");
        var principal = await PrincipalAsync("locked-me");
        Assert.True((await ActorAsync(principal)).IsAdmin);

        await WithUsersAsync(async users =>
            Assert.True((await users.SetLockoutEndDateAsync((await users.FindByNameAsync("locked-me"))!, DateTimeOffset.UtcNow.AddHours(1))).Succeeded));

        await AssertSignedOutAsync(cookie);
        Assert.False((await ActorAsync(principal)).IsHelpdesk);
    }

    [Fact]
    public async Task DemotedAdmin_CommandsUseTheRoleInTheDatabaseNotTheClaims()
    {
        await AddUserAsync("demote-me", Roles.Admin);
        var principal = await PrincipalAsync("demote-me");
        Assert.True(principal.IsInRole(Roles.Admin));

        var demoted = await _app.Services.GetRequiredService<Portal.Users.UserAdministration>()
            .SetRoleAsync(Actor.Admin("admin"), "demote-me", Roles.Helpdesk, Ct);
        Assert.True(demoted.Succeeded, demoted.Message);

        // The claims still say Admin; the actor does not.
        var actor = await ActorAsync(principal);
        Assert.Equal((false, true), (actor.IsAdmin, actor.IsHelpdesk));
        var result = await _app.Services.GetRequiredService<RemoveSnapshotCommand>()
            .ExecuteAsync(new RemoveSnapshotRequest(PortalApiFactory.BuildAgent, Guid.NewGuid()), actor, Ct);
        Assert.Equal((ResultKind.Forbidden, "Remove snapshot needs the Admin role; demote-me is Helpdesk."), (result.Kind, result.Message));
    }

    [Theory]
    [InlineData("delete")]
    [InlineData("demote")]
    [InlineData("lock")]
    public async Task OpenCircuit_UserRevoked_BecomesAnonymousWithinSeconds(string change)
    {
        var name = "circuit-" + change;
        await AddUserAsync(name, Roles.Admin);
        var principal = await PrincipalAsync(name);
        var options = Options.Create(new SecurityOptions { RevalidationInterval = TimeSpan.FromSeconds(1) });
        var checks = new CountingFactory(_app.Services.GetRequiredService<IDbContextFactory<PortalDbContext>>());
        using var provider = new RevalidatingActorStateProvider(NullLoggerFactory.Instance, checks, TimeProvider.System, options);
        provider.SetAuthenticationState(Task.FromResult(new AuthenticationState(principal)));
        var changed = new TaskCompletionSource<AuthenticationState>(TaskCreationOptions.RunContinuationsAsynchronously);
        provider.AuthenticationStateChanged += async t => changed.TrySetResult(await t);

        // Still valid: two revalidations pass without a change (the third has begun, so the first two are done).
        await Wait.UntilAsync(() => Task.FromResult(checks.Created), n => n >= 3, "two revalidations have passed");
        Assert.False(changed.Task.IsCompleted);

        await WithUsersAsync(async users =>
        {
            var user = (await users.FindByNameAsync(name))!;
            var done = change switch
            {
                "delete" => await users.DeleteAsync(user),
                "lock" => await users.SetLockoutEndDateAsync(user, DateTimeOffset.UtcNow.AddHours(1)),
                _ => await users.RemoveFromRoleAsync(user, Roles.Admin),
            };
            Assert.True(done.Succeeded);
        });

        var state = await changed.Task.WaitAsync(TimeSpan.FromSeconds(10), Ct);
        Assert.False(state.User.Identity?.IsAuthenticated);
    }

    /// <summary>The portal's context factory, counting the contexts made: one per revalidation of a circuit.</summary>
    private sealed class CountingFactory(IDbContextFactory<PortalDbContext> inner) : IDbContextFactory<PortalDbContext>
    {
        private int _created;

        public int Created => Volatile.Read(ref _created);

        public PortalDbContext CreateDbContext()
        {
            Interlocked.Increment(ref _created);
            return inner.CreateDbContext();
        }

        public Task<PortalDbContext> CreateDbContextAsync(CancellationToken ct = default)
        {
            Interlocked.Increment(ref _created);
            return inner.CreateDbContextAsync(ct);
        }
    }

    private async Task AssertSignedOutAsync(string cookie)
    {
        var page = await GetAsync("/vms", cookie);
        Assert.Equal(HttpStatusCode.Redirect, page.StatusCode);
        Assert.StartsWith("/account/login", page.Headers.Location!.PathAndQuery);
        Assert.Equal(HttpStatusCode.Unauthorized, (await NegotiateAsync(cookie)).StatusCode);
    }

    private Task<Actor> ActorAsync(ClaimsPrincipal principal) =>
        CurrentActor.ResolveAsync(_app.Services.GetRequiredService<IDbContextFactory<PortalDbContext>>(), TimeProvider.System, principal);

    /// <summary>The principal a sign-in cookie carries for the user now (claims: id, security stamp, roles).</summary>
    private async Task<ClaimsPrincipal> PrincipalAsync(string name)
    {
        using var scope = _app.Services.CreateScope();
        var signIn = scope.ServiceProvider.GetRequiredService<SignInManager<PortalUser>>();
        return await signIn.CreateUserPrincipalAsync((await signIn.UserManager.FindByNameAsync(name))!);
    }

    private const string Password = "Revoked-pass-2026";

    private Task AddUserAsync(string name, string role) =>
        WithUsersAsync(users => PortalApiFactory.CreateUserAsync(users, name, Password, role));

    private async Task WithUsersAsync(Func<UserManager<PortalUser>, Task> use)
    {
        using var scope = _app.Services.CreateScope();
        await use(scope.ServiceProvider.GetRequiredService<UserManager<PortalUser>>());
    }

    private async Task<HttpResponseMessage> GetAsync(string path, string cookie)
    {
        using var client = _app.Anonymous();
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Add("Cookie", cookie);
        return await client.SendAsync(request, Ct);
    }

    private async Task<HttpResponseMessage> NegotiateAsync(string cookie)
    {
        using var client = _app.Anonymous();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/hubs/events/negotiate?negotiateVersion=1");
        request.Headers.Add("Cookie", cookie);
        return await client.SendAsync(request, Ct);
    }

    /// <summary>Signs in through the login form, as a browser does, and returns the sign-in cookie.</summary>
    private async Task<string> SignInAsync(string user)
    {
        using var client = _app.Anonymous();
        var page = await client.Get("/account/login");
        var html = await page.Content.ReadAsStringAsync(Ct);
        var token = AntiforgeryField().Match(html).Groups[1].Value;
        Assert.True(token.Length > 0, html);
        var cookies = page.Headers.GetValues("Set-Cookie").Select(c => c.Split(';')[0]);
        using var post = new HttpRequestMessage(HttpMethod.Post, "/account/login")
        {
            Content = new FormUrlEncodedContent(new Dictionary<string, string>
            {
                ["username"] = user, ["password"] = Password, ["returnUrl"] = "/", ["__RequestVerificationToken"] = token,
            }),
        };
        post.Headers.Add("Cookie", string.Join("; ", cookies));
        var signedIn = await client.SendAsync(post, Ct);
        Assert.Equal(HttpStatusCode.Redirect, signedIn.StatusCode);
        return signedIn.Headers.GetValues("Set-Cookie").Single(c => c.StartsWith("portal.auth=")).Split(';')[0];
    }

    [GeneratedRegex("name=\"__RequestVerificationToken\"[^>]*?value=\"([^\"]+)\"")]
    private static partial Regex AntiforgeryField();
}
