using System.Security.Claims;
using System.Security.Cryptography;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Options;
using Portal.Core.Auth;

namespace Portal.Api.Auth;

/// <summary>
/// Bearer tokens for the API: the user's id and security stamp, protected and time-limited by ASP.NET Core Data
/// Protection (whose key ring lives in the data folder, so tokens survive a restart). Each use re-reads the user,
/// so a changed password, a removed user, a lockout or a role change takes effect at once.
/// </summary>
public sealed class ApiTokens(IDataProtectionProvider protection, IOptions<ApiOptions> options, TimeProvider clock)
{
    private readonly ITimeLimitedDataProtector _protector =
        protection.CreateProtector("Portal.Api.AccessToken.v1").ToTimeLimitedDataProtector();

    public TimeSpan Lifetime => options.Value.TokenLifetime;

    public (string Token, DateTimeOffset Expires) Issue(PortalUser user)
    {
        var expires = clock.GetUtcNow() + Lifetime;
        return (_protector.Protect($"{user.Id}\n{user.SecurityStamp}", expires), expires);
    }

    /// <summary>The token's user as a principal with current roles, or the reason it is not accepted.</summary>
    public async Task<(ClaimsPrincipal? User, string? Refusal)> ValidateAsync(string token, UserManager<PortalUser> users, SignInManager<PortalUser> signIn)
    {
        string payload;
        try { payload = _protector.Unprotect(token); }
        catch (CryptographicException) { return (null, "The bearer token is invalid or has expired; request a new one."); }

        var parts = payload.Split('\n');
        if (parts.Length != 2) return (null, "The bearer token is invalid.");
        var user = await users.FindByIdAsync(parts[0]);
        if (user is null || user.SecurityStamp != parts[1])
            return (null, "The bearer token is no longer valid (the user or its password changed); request a new one.");
        if (await users.IsLockedOutAsync(user)) return (null, "The account is locked out after too many failed sign-ins; try again later.");
        return (await signIn.CreateUserPrincipalAsync(user), null);
    }
}
