using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Options;
using Portal.Core.Audit;
using Portal.Core.Auth;

namespace Portal.Auth;

public enum SignInVerdict { Succeeded, Refused, Throttled }

/// <param name="RetryAfter">For <see cref="SignInVerdict.Throttled"/>: when the client address may try again.</param>
public sealed record SignInOutcome(SignInVerdict Verdict, PortalUser? User = null, TimeSpan RetryAfter = default)
{
    public bool Succeeded => Verdict == SignInVerdict.Succeeded;
}

/// <summary>
/// Every password check of the portal (the sign-in form, HTTP Basic, the token endpoint) goes through here:
/// <list type="bullet">
/// <item>failed sign-ins are rate-limited per client address (ASP.NET Core's <see cref="PartitionedRateLimiter"/>):
/// past the limit, the address gets 429 without a password being hashed, so wrong passwords are no CPU sink;</item>
/// <item>wrong passwords are counted per account <em>and</em> address: an address that guesses an account's password
/// five times is blocked for that account for a minute, while the account's owner, elsewhere, still signs in;</item>
/// <item>a blocked, locked-out or unknown account gets the same reply as a wrong password, so replies do not say
/// which accounts exist;</item>
/// <item>every sign-in, success or failure, is logged and audited with the client address (oVirt's USER_VDC_LOGIN
/// and USER_VDC_LOGIN_FAILED);</item>
/// <item>a verified Basic user and password is remembered for a while (sliding), keyed by an HMAC of the two under
/// a key that lives only in this process, and dropped when the user's security stamp changes (password reset,
/// deletion) or the account is locked.</item>
/// </list>
/// The per-address counters live in memory: a restart clears them, as it clears the rate limiter.
/// </summary>
public sealed partial class SignInGuard : IDisposable
{
    public const string Operation = Portal.Core.Audit.AuditOperations.SignIn;
    public const string SignOutOperation = Portal.Core.Audit.AuditOperations.SignOut;
    public const string WrongCredentials = "The user name or password is incorrect.";

    /// <summary>A hash to verify against when the user does not exist, so the reply takes as long as for a wrong password.</summary>
    private static readonly Lazy<string> DummyHash = new(() => new PasswordHasher<PortalUser>().HashPassword(new PortalUser(), Guid.NewGuid().ToString()));

    private readonly IOptions<SecurityOptions> _options;
    private readonly TimeProvider _clock;
    private readonly AuditLog _audit;
    private readonly ILogger<SignInGuard> _log;
    private readonly PartitionedRateLimiter<string> _failures;
    private readonly ConcurrentDictionary<(string User, string Address), Failures> _blocks = new();
    private readonly ConcurrentDictionary<string, CachedBasic> _basic = new();
    private readonly byte[] _cacheKey = RandomNumberGenerator.GetBytes(32);

    private sealed class Failures
    {
        public int Count;
        public DateTimeOffset BlockedUntil;
        public DateTimeOffset LastAt;
    }

    private sealed record CachedBasic(string UserId, string? Stamp, DateTimeOffset Expires);

    public SignInGuard(IOptions<SecurityOptions> options, TimeProvider clock, AuditLog audit, ILogger<SignInGuard> log)
    {
        _options = options;
        _clock = clock;
        _audit = audit;
        _log = log;
        var perMinute = options.Value.FailedSignInsPerAddressPerMinute;
        _failures = PartitionedRateLimiter.Create<string, string>(address => RateLimitPartition.GetFixedWindowLimiter(address,
            _ => new FixedWindowRateLimiterOptions { PermitLimit = perMinute, Window = TimeSpan.FromMinutes(1), QueueLimit = 0, AutoReplenishment = true }));
    }

    /// <summary>The client's address as the server saw it (behind a reverse proxy: configure forwarded headers).</summary>
    public static string AddressOf(HttpContext http) => http.Connection.RemoteIpAddress?.ToString() ?? "unknown";

    /// <summary>Checks a user name and password for <paramref name="channel"/> ("web", "API Basic", "API token"); audits the outcome.</summary>
    public async Task<SignInOutcome> CheckPasswordAsync(HttpContext http, string userName, string password, string channel)
    {
        var address = AddressOf(http);
        if (Throttled(address) is { } retry)
        {
            LogThrottled(_log, Printable(userName), address, channel);
            return new SignInOutcome(SignInVerdict.Throttled, RetryAfter: retry);
        }

        var sp = http.RequestServices;
        var users = sp.GetRequiredService<UserManager<PortalUser>>();
        var user = userName.Length == 0 || userName.Length > 256 ? null : await users.FindByNameAsync(userName);
        var key = (users.NormalizeName(userName) ?? "", address);
        string why;
        if (user is null)
        {
            users.PasswordHasher.VerifyHashedPassword(new PortalUser(), DummyHash.Value, password);
            why = "unknown user";
        }
        else if (IsBlocked(key))
        {
            // No hash: the block exists to stop the guessing, and costs nothing while it lasts.
            why = $"blocked for this address after {_options.Value.LockoutFailures} failed attempts";
        }
        else
        {
            var result = await sp.GetRequiredService<SignInManager<PortalUser>>().CheckPasswordSignInAsync(user, password, lockoutOnFailure: false);
            if (result.Succeeded)
            {
                _blocks.TryRemove(key, out _);
                await AuditAsync(user.UserName!, AuditOutcome.Success, $"User {user.UserName} signed in from {address} ({channel}).");
                return new SignInOutcome(SignInVerdict.Succeeded, user);
            }
            why = result.IsLockedOut ? "the account is locked out" : result.IsNotAllowed ? "the account may not sign in" : "wrong password";
            if (!result.IsLockedOut && !result.IsNotAllowed) CountFailure(key);
        }
        _failures.AttemptAcquire(address, 1).Dispose();
        var name = Printable(userName);
        LogFailed(_log, name, address, channel, why);
        await AuditAsync(name, AuditOutcome.Failure, $"User {name} failed to sign in from {address} ({channel}): {why}.");
        return new SignInOutcome(SignInVerdict.Refused);
    }

    /// <summary>Audits a sign-out (the form's, or a token revoked through sso-logout).</summary>
    public Task SignedOutAsync(string userName, HttpContext http, string channel) =>
        AuditAsync(userName, AuditOutcome.Success, $"User {userName} signed out from {AddressOf(http)} ({channel}).", SignOutOperation);

    /// <summary>The user of a Basic user and password verified recently, if it is still valid; null otherwise.</summary>
    public async Task<PortalUser?> CachedBasicAsync(UserManager<PortalUser> users, string userName, string password)
    {
        if (_options.Value.BasicCacheDuration <= TimeSpan.Zero) return null;
        var key = BasicKey(userName, password);
        if (!_basic.TryGetValue(key, out var entry)) return null;
        var now = _clock.GetUtcNow();
        var user = entry.Expires > now ? await users.FindByIdAsync(entry.UserId) : null;
        if (user is null || user.SecurityStamp != entry.Stamp || await users.IsLockedOutAsync(user))
        {
            _basic.TryRemove(key, out _);
            return null;
        }
        _basic[key] = entry with { Expires = now + _options.Value.BasicCacheDuration };
        return user;
    }

    public void RememberBasic(string userName, string password, PortalUser user)
    {
        if (_options.Value.BasicCacheDuration <= TimeSpan.Zero) return;
        var now = _clock.GetUtcNow();
        if (_basic.Count >= 10_000)
        {
            foreach (var (k, v) in _basic)
                if (v.Expires <= now) _basic.TryRemove(k, out _);
            if (_basic.Count >= 10_000) _basic.Clear();
        }
        _basic[BasicKey(userName, password)] = new CachedBasic(user.Id, user.SecurityStamp, now + _options.Value.BasicCacheDuration);
    }

    /// <summary>Ends every per-address block of <paramref name="normalizedUserName"/> (the Users page's Unlock).</summary>
    public void Unblock(string normalizedUserName)
    {
        foreach (var key in _blocks.Keys)
            if (key.User == normalizedUserName) _blocks.TryRemove(key, out _);
    }

    private string BasicKey(string userName, string password) =>
        Convert.ToBase64String(HMACSHA256.HashData(_cacheKey, Encoding.UTF8.GetBytes(userName.ToUpperInvariant() + "\0" + password)));

    private TimeSpan? Throttled(string address)
    {
        using var lease = _failures.AttemptAcquire(address, 0);
        if (lease.IsAcquired) return null;
        return lease.TryGetMetadata(MetadataName.RetryAfter, out var after) ? after : TimeSpan.FromMinutes(1);
    }

    private bool IsBlocked((string, string) key) =>
        _blocks.TryGetValue(key, out var f) && f.BlockedUntil > _clock.GetUtcNow();

    private void CountFailure((string, string) key)
    {
        var now = _clock.GetUtcNow();
        var o = _options.Value;
        if (_blocks.Count >= 10_000)
            foreach (var (k, v) in _blocks)
                if (v.BlockedUntil <= now && now - v.LastAt > o.LockoutDuration) _blocks.TryRemove(k, out _);
        var f = _blocks.GetOrAdd(key, _ => new Failures());
        lock (f)
        {
            // Failures older than a block's length are forgotten, as a block is.
            if (now - f.LastAt > o.LockoutDuration || f.BlockedUntil != default && f.BlockedUntil <= now) { f.Count = 0; f.BlockedUntil = default; }
            f.LastAt = now;
            if (++f.Count >= o.LockoutFailures) f.BlockedUntil = now + o.LockoutDuration;
        }
    }

    private async Task AuditAsync(string user, AuditOutcome outcome, string message, string operation = Operation)
    {
        try { await _audit.WriteAsync(user, null, null, operation, outcome, message); }
        catch (Exception ex) { LogAuditFailed(_log, ex); }
    }

    /// <summary>A typed user name fit for the log and the audit: at most 64 characters, nothing XML cannot carry.</summary>
    private static string Printable(string s)
    {
        var b = new StringBuilder(Math.Min(s.Length, 64));
        foreach (var c in s.Length > 64 ? s[..64] : s) b.Append(char.IsControl(c) || char.IsSurrogate(c) || !System.Xml.XmlConvert.IsXmlChar(c) ? '?' : c);
        return b.ToString();
    }

    public void Dispose() => _failures.Dispose();

    [LoggerMessage(Level = LogLevel.Warning, Message = "Failed sign-in for {User} from {Address} ({Channel}): {Reason}")]
    private static partial void LogFailed(ILogger log, string user, string address, string channel, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Sign-in for {User} from {Address} ({Channel}) refused: too many failed sign-ins from this address")]
    private static partial void LogThrottled(ILogger log, string user, string address, string channel);

    [LoggerMessage(Level = LogLevel.Error, Message = "A sign-in could not be audited")]
    private static partial void LogAuditFailed(ILogger log, Exception ex);
}
