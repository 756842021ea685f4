using System.Net;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Portal.Auth;
using Portal.Core.Audit;
using Portal.Core.Auth;
using Portal.Core.Persistence;
using Portal.Tests.Api;
using static Portal.Tests.Api.ApiTestExtensions;

namespace Portal.Tests.Auth;

/// <summary>Failed sign-ins are rate-limited per client address; good Basic credentials are remembered; every sign-in is audited.</summary>
public sealed class SignInGuardTests : IAsyncLifetime
{
    private readonly PortalApiFactory _app = new() { Settings = { ["Security:FailedSignInsPerAddressPerMinute"] = "3" } };

    public async ValueTask InitializeAsync() => await _app.InitializeAsync();

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();

    private HttpClient From(string address, string user, string password, bool json = false)
    {
        var client = _app.Client((user, password), json);
        client.DefaultRequestHeaders.Add(ClientAddressFilter.Header, address);
        return client;
    }

    [Fact]
    public async Task FailedSignIns_PastTheLimitForAnAddress_Answer429FaultThereOnly()
    {
        using var wrong = From("192.0.2.20", "admin@internal", "wrong-1");
        for (var i = 0; i < 3; i++) await (await wrong.Get($"{Base}/vms")).FaultAsync(HttpStatusCode.Unauthorized);

        var throttled = await wrong.Get($"{Base}/vms");
        var detail = await throttled.FaultAsync(HttpStatusCode.TooManyRequests);
        Assert.Contains("Too many failed sign-ins from this address", detail);
        Assert.NotNull(throttled.Headers.RetryAfter);
        // Even the right password waits: the address is not heard until the window ends.
        using var right = From("192.0.2.20", "admin@internal", PortalApiFactory.AdminPassword);
        await (await right.Get($"{Base}/vms")).FaultAsync(HttpStatusCode.TooManyRequests);
        using var token = new HttpClient(_app.Server.CreateHandler()) { BaseAddress = _app.Server.BaseAddress };
        token.DefaultRequestHeaders.Add(ClientAddressFilter.Header, "192.0.2.20");
        var tokenReply = await token.PostAsync("/ovirt-engine/sso/oauth/token", new FormUrlEncodedContent(new Dictionary<string, string>
            { ["grant_type"] = "password", ["username"] = "admin@internal", ["password"] = PortalApiFactory.AdminPassword }), Ct);
        Assert.Equal(HttpStatusCode.TooManyRequests, tokenReply.StatusCode);

        using var elsewhere = From("198.51.100.20", "admin@internal", PortalApiFactory.AdminPassword);
        await (await elsewhere.Get($"{Base}/vms")).XmlAsync(HttpStatusCode.OK);
    }

    [Fact]
    public async Task BasicAuth_Verified_IsRememberedUntilTheSecurityStampChanges()
    {
        await WithUsersAsync(users => PortalApiFactory.CreateUserAsync(users, "cached", "Cached-pass-2026", Roles.Helpdesk));
        using var client = From("192.0.2.30", "cached@internal", "Cached-pass-2026");
        await (await client.Get($"{Base}/vms")).XmlAsync(HttpStatusCode.OK);

        // The stored hash changes behind Identity's back (the stamp stays): the remembered verification still holds,
        // which shows the password is not hashed again on each call.
        await using (var db = await _app.Services.GetRequiredService<IDbContextFactory<PortalDbContext>>().CreateDbContextAsync(Ct))
        {
            var user = await db.Users.SingleAsync(u => u.UserName == "cached", Ct);
            user.PasswordHash = new PasswordHasher<PortalUser>().HashPassword(user, "Something-else-1");
            await db.SaveChangesAsync(Ct);
        }
        await (await client.Get($"{Base}/vms")).XmlAsync(HttpStatusCode.OK);

        // A new security stamp (what a password reset, a role removal or a deletion does) drops it at once.
        await WithUsersAsync(async users => Assert.True((await users.UpdateSecurityStampAsync((await users.FindByNameAsync("cached"))!)).Succeeded));
        await (await client.Get($"{Base}/vms")).FaultAsync(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task BasicAuth_PasswordReset_OldPasswordRefusedAtOnceDespiteTheCache()
    {
        await WithUsersAsync(users => PortalApiFactory.CreateUserAsync(users, "rotated", "Rotated-pass-2026", Roles.Helpdesk));
        using var client = From("192.0.2.31", "rotated@internal", "Rotated-pass-2026");
        await (await client.Get($"{Base}/vms")).XmlAsync(HttpStatusCode.OK);

        var reset = await _app.Services.GetRequiredService<Portal.Users.UserAdministration>()
            .ResetPasswordAsync(Actor.Admin("admin"), "rotated", "Rotated-pass-2027", Ct);
        Assert.True(reset.Succeeded, reset.Message);

        await (await client.Get($"{Base}/vms")).FaultAsync(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task SignIns_SuccessAndFailure_AreAuditedWithTheClientAddress()
    {
        using (var good = From("192.0.2.40", "admin@internal", PortalApiFactory.AdminPassword))
            await (await good.Get($"{Base}/vms")).XmlAsync(HttpStatusCode.OK);
        using (var bad = From("192.0.2.41", "admin@internal", "wrong"))
            await (await bad.Get($"{Base}/vms")).FaultAsync(HttpStatusCode.Unauthorized);
        using (var nobody = From("192.0.2.42", "nobody@internal", "wrong"))
            await (await nobody.Get($"{Base}/vms")).FaultAsync(HttpStatusCode.Unauthorized);

        await using var db = await _app.Services.GetRequiredService<IDbContextFactory<PortalDbContext>>().CreateDbContextAsync(Ct);
        var entries = await db.AuditEntries.Where(e => e.Operation == SignInGuard.Operation).ToListAsync(Ct);
        Assert.Contains(entries, e => e is { User: "admin", Outcome: AuditOutcome.Success } && e.Message == "User admin signed in from 192.0.2.40 (API Basic).");
        Assert.Contains(entries, e => e is { User: "admin", Outcome: AuditOutcome.Failure } && e.Message == "User admin failed to sign in from 192.0.2.41 (API Basic): wrong password.");
        Assert.Contains(entries, e => e is { User: "nobody", Outcome: AuditOutcome.Failure } && e.Message.Contains("from 192.0.2.42") && e.Message.EndsWith("unknown user."));
    }

    [Fact]
    public async Task TokenRevokedThroughSsoLogout_IsAuditedAsSignOut()
    {
        var token = await _app.TokenAsync("admin@internal", PortalApiFactory.AdminPassword);
        using var client = _app.Anonymous(json: true);
        var reply = await client.Post("/ovirt-engine/services/sso-logout", new FormUrlEncodedContent(new Dictionary<string, string> { ["token"] = token }));
        Assert.Equal(HttpStatusCode.OK, reply.StatusCode);

        await using var db = await _app.Services.GetRequiredService<IDbContextFactory<PortalDbContext>>().CreateDbContextAsync(Ct);
        Assert.True(await db.AuditEntries.AnyAsync(e => e.Operation == SignInGuard.SignOutOperation && e.User == "admin", Ct));
        Assert.True(await db.AuditEntries.AnyAsync(e => e.Operation == SignInGuard.Operation && e.Message.Contains("(API token)"), Ct));
    }

    private async Task WithUsersAsync(Func<UserManager<PortalUser>, Task> use)
    {
        using var scope = _app.Services.CreateScope();
        await use(scope.ServiceProvider.GetRequiredService<UserManager<PortalUser>>());
    }
}
