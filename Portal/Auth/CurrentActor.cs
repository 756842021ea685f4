using System.Security.Claims;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Portal.Core.Auth;
using Portal.Core.Persistence;

namespace Portal.Auth;

/// <summary>
/// The signed-in user as an <see cref="Actor"/>, for the commands (which check roles themselves). The roles come from
/// the database at the moment of the call, never from the sign-in cookie's claims, which may be hours old: a user who
/// was deleted, locked out, demoted, or whose password was reset since signing in (the cookie's security stamp no
/// longer matches) gets an actor without any role, and every command refuses it.
/// </summary>
public sealed class CurrentActor(AuthenticationStateProvider auth, IDbContextFactory<PortalDbContext> dbFactory, TimeProvider clock)
{
    /// <summary>The claim in which Identity keeps the user's security stamp (ClaimsIdentityOptions.SecurityStampClaimType).</summary>
    public const string SecurityStampClaim = "AspNet.Identity.SecurityStamp";

    public async Task<Actor> GetAsync()
    {
        var state = await auth.GetAuthenticationStateAsync();
        return await ResolveAsync(dbFactory, clock, state.User);
    }

    /// <summary>The user's current rights, or null when the principal no longer stands for a valid sign-in.</summary>
    public sealed record Standing(string UserName, IReadOnlySet<string> Roles);

    /// <summary>
    /// Checks the principal's sign-in against the database: the user exists, its security stamp is the one the
    /// principal carries, and it is not locked out. Returns its current roles, or null.
    /// </summary>
    public static async Task<Standing?> StandingAsync(IDbContextFactory<PortalDbContext> dbFactory, TimeProvider clock, ClaimsPrincipal principal,
        CancellationToken ct = default)
    {
        if (principal.Identity?.IsAuthenticated != true) return null;
        var id = principal.FindFirstValue(ClaimTypes.NameIdentifier);
        var stamp = principal.FindFirstValue(SecurityStampClaim);
        if (id is null || stamp is null) return null;
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var user = await db.Users.AsNoTracking().Where(u => u.Id == id)
            .Select(u => new { u.UserName, u.SecurityStamp, u.LockoutEnabled, u.LockoutEnd }).FirstOrDefaultAsync(ct);
        if (user?.UserName is null || user.SecurityStamp != stamp) return null;
        if (user.LockoutEnabled && user.LockoutEnd > clock.GetUtcNow()) return null;
        var roles = await db.UserRoles.Where(ur => ur.UserId == id).Join(db.Roles, ur => ur.RoleId, r => r.Id, (_, r) => r.Name)
            .ToListAsync(ct);
        return new Standing(user.UserName, roles.OfType<string>().ToHashSet(StringComparer.Ordinal));
    }

    /// <summary>The actor with the rights the database gives the principal now; without any role when its sign-in is no longer valid.</summary>
    public static async Task<Actor> ResolveAsync(IDbContextFactory<PortalDbContext> dbFactory, TimeProvider clock, ClaimsPrincipal principal)
    {
        var standing = await StandingAsync(dbFactory, clock, principal);
        if (standing is null) return new Actor(principal.Identity?.Name ?? "anonymous", false, false);
        var admin = standing.Roles.Contains(Roles.Admin);
        return new Actor(standing.UserName, admin, admin || standing.Roles.Contains(Roles.Helpdesk));
    }

    /// <summary>
    /// For the API, whose principal is built from the database on each request (Basic, bearer token); a cookie
    /// principal must go through <see cref="ResolveAsync"/>.
    /// </summary>
    public static Actor From(ClaimsPrincipal user) =>
        new(user.Identity?.Name ?? "anonymous", user.IsInRole(Roles.Admin), user.IsInRole(Roles.Helpdesk) || user.IsInRole(Roles.Admin));
}

/// <summary>
/// Blazor circuits check their user against the database every <see cref="SecurityOptions.RevalidationInterval"/>:
/// a user deleted, locked out, demoted or whose password was reset becomes anonymous, and the open page is sent to
/// the sign-in form (Routes.razor's RedirectToLogin).
/// </summary>
public sealed class RevalidatingActorStateProvider(ILoggerFactory loggers, IDbContextFactory<PortalDbContext> dbFactory, TimeProvider clock,
    Microsoft.Extensions.Options.IOptions<SecurityOptions> options)
    : Microsoft.AspNetCore.Components.Server.RevalidatingServerAuthenticationStateProvider(loggers)
{
    protected override TimeSpan RevalidationInterval =>
        options.Value.RevalidationInterval < TimeSpan.FromSeconds(1) ? TimeSpan.FromSeconds(1) : options.Value.RevalidationInterval;

    protected override async Task<bool> ValidateAuthenticationStateAsync(AuthenticationState state, CancellationToken ct)
    {
        var standing = await CurrentActor.StandingAsync(dbFactory, clock, state.User, ct);
        if (standing is null) return false;
        // A changed role (demoted, or promoted) ends the circuit's sign-in too: the pages render from the claims.
        var claimed = state.User.FindAll(ClaimTypes.Role).Select(c => c.Value).ToHashSet(StringComparer.Ordinal);
        return claimed.SetEquals(standing.Roles);
    }
}

/// <summary>
/// Identity's check of the sign-in cookie against the user's security stamp, which also refuses a locked-out user.
/// Its interval is <see cref="SecurityOptions.RevalidationInterval"/>; a cookie that passes is renewed with the
/// user's current roles.
/// </summary>
public sealed class PortalSecurityStampValidator(
    Microsoft.Extensions.Options.IOptions<SecurityStampValidatorOptions> options, SignInManager<PortalUser> signInManager, ILoggerFactory logger)
    : SecurityStampValidator<PortalUser>(options, signInManager, logger)
{
    protected override async Task<PortalUser?> VerifySecurityStamp(ClaimsPrincipal? principal)
    {
        var user = await base.VerifySecurityStamp(principal);
        return user is not null && await SignInManager.UserManager.IsLockedOutAsync(user) ? null : user;
    }
}
