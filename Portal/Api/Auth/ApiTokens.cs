using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Portal.Core.Auth;
using Portal.Core.Persistence;

namespace Portal.Api.Auth;

/// <summary>
/// Bearer tokens for the API: the user's id and security stamp, protected and time-limited by ASP.NET Core Data
/// Protection (whose key ring lives in the data folder, so tokens survive a restart). Each use re-reads the user,
/// so a changed password, a removed user, a lockout or a role change takes effect at once. A token revoked through
/// <c>sso-logout</c> is remembered in the database (<see cref="RevokedToken"/>) until it would have expired, so the
/// revocation survives a restart too.
/// </summary>
public sealed class ApiTokens(IDataProtectionProvider protection, IOptions<ApiOptions> options, TimeProvider clock,
    IDbContextFactory<PortalDbContext> dbFactory, IOptions<IdentityOptions> identity)
{
    private readonly ITimeLimitedDataProtector _protector =
        protection.CreateProtector("Portal.Api.AccessToken.v1").ToTimeLimitedDataProtector();

    public const string Revoked = "The bearer token was revoked (signed out); request a new one.";

    public TimeSpan Lifetime => options.Value.TokenLifetime;

    public (string Token, DateTimeOffset Expires) Issue(PortalUser user)
    {
        var expires = clock.GetUtcNow() + Lifetime;
        return (_protector.Protect($"{user.Id}\n{user.SecurityStamp}", expires), expires);
    }

    /// <summary>
    /// The token's user as a principal with its current roles, or the reason it is not accepted. Every request reads
    /// the database, so a revocation, a removed or locked-out user, a changed security stamp or role takes effect at
    /// once; it does so in one query (the revocation, the user and its roles), where Identity's user manager and
    /// principal factory took six, which were most of the time of a small <c>GET</c>.
    /// </summary>
    /// <remarks>
    /// The principal has the claims Identity's <c>UserClaimsPrincipalFactory</c> gives (id, name, e-mail, security
    /// stamp, roles, under the configured claim types, authentication type <c>Identity.Application</c>). Per-user and
    /// per-role claims are not read: the portal stores none.
    /// </remarks>
    public async Task<(ClaimsPrincipal? User, string? Refusal)> ValidateAsync(string token, CancellationToken ct = default)
    {
        string payload;
        try { payload = _protector.Unprotect(token, out _); }
        catch (CryptographicException) { return (null, "The bearer token is invalid or has expired; request a new one."); }
        var parts = payload.Split('\n');
        if (parts.Length != 2) return (null, "The bearer token is invalid.");
        var (userId, stamp) = (parts[0], parts[1]);

        var hash = Hash(token);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var standing = await StandingOf(db, userId, hash, ct);
        if (standing?.Revoked == true || (standing is null && await db.RevokedTokens.AnyAsync(r => r.TokenHash == hash, ct))) return (null, Revoked);
        if (standing?.UserName is null || standing.SecurityStamp != stamp)
            return (null, "The bearer token is no longer valid (the user or its password changed); request a new one.");
        if (standing.LockoutEnabled && standing.LockoutEnd >= clock.GetUtcNow())
            return (null, "The account is locked out after too many failed sign-ins; try again later.");

        var types = identity.Value.ClaimsIdentity;
        var claims = new ClaimsIdentity(IdentityConstants.ApplicationScheme, types.UserNameClaimType, types.RoleClaimType);
        claims.AddClaim(new Claim(types.UserIdClaimType, userId));
        claims.AddClaim(new Claim(types.UserNameClaimType, standing.UserName));
        if (!string.IsNullOrEmpty(standing.Email)) claims.AddClaim(new Claim(types.EmailClaimType, standing.Email));
        claims.AddClaim(new Claim(types.SecurityStampClaimType, stamp));
        foreach (var role in standing.Roles.OfType<string>()) claims.AddClaim(new Claim(types.RoleClaimType, role));
        return (new ClaimsPrincipal(claims), null);
    }

    /// <summary>What a request's token says about its user now: one query, compiled once (every API request runs it).</summary>
    private sealed record Standing(string? UserName, string? Email, string? SecurityStamp, bool LockoutEnabled, DateTimeOffset? LockoutEnd,
        List<string?> Roles, bool Revoked);

    private static readonly Func<PortalDbContext, string, string, CancellationToken, Task<Standing?>> StandingOf =
        EF.CompileAsyncQuery((PortalDbContext db, string userId, string hash, CancellationToken _) => db.Users.AsNoTracking()
            .Where(u => u.Id == userId)
            .Select(u => new Standing(u.UserName, u.Email, u.SecurityStamp, u.LockoutEnabled, u.LockoutEnd,
                db.UserRoles.Where(ur => ur.UserId == u.Id).Join(db.Roles, ur => ur.RoleId, r => r.Id, (_, r) => r.Name).ToList(),
                db.RevokedTokens.Any(r => r.TokenHash == hash)))
            .FirstOrDefault());

    /// <summary>A token's user and expiry (for token-info), or why it is not valid.</summary>
    public async Task<(PortalUser? User, DateTimeOffset Expires, string? Refusal)> CheckAsync(string token, UserManager<PortalUser> users)
    {
        string payload;
        DateTimeOffset expires;
        try { payload = _protector.Unprotect(token, out expires); }
        catch (CryptographicException) { return (null, default, "The bearer token is invalid or has expired; request a new one."); }

        var parts = payload.Split('\n');
        if (parts.Length != 2) return (null, expires, "The bearer token is invalid.");
        if (await IsRevokedAsync(token)) return (null, expires, Revoked);
        var user = await users.FindByIdAsync(parts[0]);
        if (user is null || user.SecurityStamp != parts[1])
            return (null, expires, "The bearer token is no longer valid (the user or its password changed); request a new one.");
        if (await users.IsLockedOutAsync(user)) return (null, expires, "The account is locked out after too many failed sign-ins; try again later.");
        return (user, expires, null);
    }

    /// <summary>
    /// Revokes a token this portal issued and that has not expired; returns false when there was nothing to revoke (a
    /// token that is not ours, has expired, or is revoked already). Rows of tokens past their expiry are deleted.
    /// </summary>
    public async Task<bool> RevokeAsync(string token, CancellationToken ct = default)
    {
        DateTimeOffset expires;
        try { _ = _protector.Unprotect(token, out expires); }
        catch (CryptographicException) { return false; }

        var now = clock.GetUtcNow().UtcDateTime;
        var hash = Hash(token);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        await db.RevokedTokens.Where(r => r.ExpiresAt < now).ExecuteDeleteAsync(ct);
        if (await db.RevokedTokens.AnyAsync(r => r.TokenHash == hash, ct)) return false;
        db.RevokedTokens.Add(new RevokedToken { TokenHash = hash, ExpiresAt = expires.UtcDateTime, RevokedAt = now });
        try { await db.SaveChangesAsync(ct); }
        catch (DbUpdateException)
        {
            // Revoked by a concurrent request between the check and the insert: revoked all the same.
            await using var again = await dbFactory.CreateDbContextAsync(ct);
            if (await again.RevokedTokens.AnyAsync(r => r.TokenHash == hash, ct)) return false;
            throw;
        }
        return true;
    }

    private async Task<bool> IsRevokedAsync(string token)
    {
        var hash = Hash(token);
        await using var db = await dbFactory.CreateDbContextAsync();
        return await db.RevokedTokens.AnyAsync(r => r.TokenHash == hash);
    }

    private static string Hash(string token) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(token)));
}
