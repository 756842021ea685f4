using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Portal.Core.Audit;
using Portal.Core.Auth;
using Portal.Core.Commands;
using Portal.Core.Persistence;

namespace Portal.Users;

/// <summary>A portal user as the Users page lists it.</summary>
/// <param name="Role">Admin, Helpdesk, or null for a user with neither (it can sign in but may change nothing).</param>
/// <param name="LockedOutUntil">When the lockout after too many wrong passwords ends; null when the user may sign in.</param>
public sealed record UserRow(string Id, string UserName, string? Role, DateTimeOffset? LockedOutUntil)
{
    public bool IsLockedOut => LockedOutUntil is not null;
}

/// <summary>What the Users grid can be sorted by (in the database).</summary>
public enum UserSort { UserName, Role }

/// <summary>One page of the Users grid: <paramref name="Search"/> matches the user name or the role, case-insensitively.</summary>
public sealed record UserGridQuery(int Page, int PageSize, string? Search = null, UserSort SortBy = UserSort.UserName, bool Descending = false);

/// <summary>
/// The Admin's user management: list, create, change the role, reset the password, unlock, delete. Every entry point
/// checks the caller itself, against the database rather than the caller's (possibly hours old) claims; validates with
/// <see cref="UserRules"/>; and writes an audit entry for success and failure alike. Changes run one at a time, so two
/// Admins demoting each other cannot both pass the last-Admin check.
/// </summary>
/// <remarks>
/// A singleton: each call takes its own DI scope, so its <see cref="UserManager{TUser}"/> and database context live
/// for that operation only, never for a circuit. Listing is not audited (it changes nothing and a page reloads it
/// often); a refused listing still returns Forbidden.
/// </remarks>
public sealed class UserAdministration(IServiceScopeFactory scopes, AuditLog audit, TimeProvider clock, ILogger<UserAdministration> log,
    Portal.Auth.SignInGuard? guard = null)
{
    /// <summary>The operation name of every audit entry this class writes.</summary>
    public const string Operation = Portal.Core.Audit.AuditOperations.ManageUsers;

    private readonly SemaphoreSlim _gate = new(1, 1);

    /// <summary>
    /// One page of users, searched, sorted and paged in the database (the grid never loads every user). Returns
    /// <c>GridPage&lt;UserRow&gt;</c>, or Forbidden for anyone but an Admin.
    /// </summary>
    public async Task<CommandResult> ListUsersPageAsync(Actor actor, UserGridQuery query, CancellationToken ct = default)
    {
        await using var scope = scopes.CreateAsyncScope();
        var s = new Session(scope.ServiceProvider);
        if (await AuthorizeAsync(s, actor) is { } forbidden) return forbidden;

        var size = Math.Clamp(query.PageSize, 1, 500);
        var page = Math.Max(0, query.Page);
        var db = s.Db;
        // A user's role as the grid shows it (see RoleOf): Admin if it has Admin, else Helpdesk; "Admin" sorts first.
        var users = db.Users.AsNoTracking().Select(u => new
        {
            u.Id, u.UserName, u.NormalizedUserName, u.LockoutEnd,
            Role = db.UserRoles.Where(ur => ur.UserId == u.Id)
                .Join(db.Roles.Where(r => r.Name == Roles.Admin || r.Name == Roles.Helpdesk), ur => ur.RoleId, r => r.Id, (ur, r) => r.Name)
                .OrderBy(n => n).FirstOrDefault(),
        });
        if (query.Search?.Trim() is { Length: > 0 } text)
        {
            var upper = text.ToUpperInvariant();
            users = users.Where(u => u.NormalizedUserName!.Contains(upper) || (u.Role != null && u.Role.ToUpper().Contains(upper)));
        }
        var total = await users.CountAsync(ct);
        var d = query.Descending;
        // NormalizedUserName is the upper-cased name (indexed by Identity): the order is case-insensitive.
        var ordered = query.SortBy == UserSort.Role
            ? (d ? users.OrderByDescending(u => u.Role) : users.OrderBy(u => u.Role)).ThenBy(u => u.NormalizedUserName)
            : d ? users.OrderByDescending(u => u.NormalizedUserName) : users.OrderBy(u => u.NormalizedUserName);
        var rows = await ordered.Skip(page * size).Take(size).ToListAsync(ct);
        var now = clock.GetUtcNow();
        return CommandResult.Ok(new Portal.Core.GridPage<UserRow>(
            rows.Select(u => new UserRow(u.Id, u.UserName ?? "", u.Role, u.LockoutEnd > now ? u.LockoutEnd : null)).ToList(), total));
    }

    /// <param name="userName">Trimmed; see <see cref="UserRules.UserNameIsValid"/>.</param>
    /// <param name="password">Must pass the portal's Identity password rules (at least 8 characters, a digit, upper and lower case).</param>
    /// <param name="role"><see cref="Roles.Admin"/> or <see cref="Roles.Helpdesk"/>.</param>
    public Task<CommandResult> CreateUserAsync(Actor actor, string? userName, string? password, string? role, CancellationToken ct = default)
    {
        var name = userName?.Trim() ?? "";
        return RunAsync(actor, $"create user '{name}'", async s =>
        {
            if ((UserRules.UserNameIsValid(name) ?? UserRules.PasswordEntered(password) ?? UserRules.KnownRole(role)
                 ?? UserRules.NameIsFree(await s.FindAsync(name), name)) is { } refusal)
                return Refuse(refusal);

            await using var tx = await s.Db.Database.BeginTransactionAsync(ct);
            var user = new PortalUser { UserName = name, EmailConfirmed = true };
            var created = await s.Users.CreateAsync(user, password!);
            if (!created.Succeeded) return CommandResult.Invalid(Describe(created));
            var added = await s.Users.AddToRoleAsync(user, role!);
            if (!added.Succeeded) return CommandResult.Failed(Describe(added));
            await tx.CommitAsync(ct);
            return CommandResult.Ok(new UserRow(user.Id, name, role, null), $"Created user '{name}' with the role {role}.");
        }, ct);
    }

    /// <summary>Gives the user exactly <paramref name="role"/>, replacing any other. API tokens and the sign-in cookie pick it up when they next read the user.</summary>
    public Task<CommandResult> SetRoleAsync(Actor actor, string userName, string? role, CancellationToken ct = default) =>
        RunAsync(actor, $"change the role of '{userName}' to {role}", async s =>
        {
            if (UserRules.KnownRole(role) is { } badRole) return Refuse(badRole);
            var user = await s.FindAsync(userName);
            if (UserRules.UserExists(user, userName) is { } missing) return Refuse(missing);
            var current = await s.RoleOfAsync(user!);
            if (current == role) return CommandResult.Ok(null, $"'{user!.UserName}' already has the role {role}; nothing changed.");
            if (UserRules.NotLastAdmin(current == Roles.Admin, await s.AdminCountAsync(), user!.UserName!, "demote") is { } last)
                return Refuse(last);

            await using var tx = await s.Db.Database.BeginTransactionAsync(ct);
            var removed = await s.Users.RemoveFromRolesAsync(user, await s.Users.GetRolesAsync(user));
            if (!removed.Succeeded) return CommandResult.Failed(Describe(removed));
            var added = await s.Users.AddToRoleAsync(user, role!);
            if (!added.Succeeded) return CommandResult.Failed(Describe(added));
            await tx.CommitAsync(ct);
            return CommandResult.Ok(null, $"Changed the role of '{user.UserName}' from {current ?? "none"} to {role}.");
        }, ct);

    /// <summary>Sets a new password. The security stamp changes with it, so the user's API tokens stop working and other sessions end at their next check.</summary>
    public Task<CommandResult> ResetPasswordAsync(Actor actor, string userName, string? newPassword, CancellationToken ct = default) =>
        RunAsync(actor, $"reset the password of '{userName}'", async s =>
        {
            if (UserRules.PasswordEntered(newPassword) is { } empty) return Refuse(empty);
            var user = await s.FindAsync(userName);
            if (UserRules.UserExists(user, userName) is { } missing) return Refuse(missing);

            // Identity has no "replace" without a reset token (and no token provider is registered), so remove and add
            // in one transaction: a password the rules refuse rolls back and leaves the old one in place.
            await using var tx = await s.Db.Database.BeginTransactionAsync(ct);
            var removed = await s.Users.RemovePasswordAsync(user!);
            if (!removed.Succeeded) return CommandResult.Failed(Describe(removed));
            var added = await s.Users.AddPasswordAsync(user!, newPassword!);
            if (!added.Succeeded) return CommandResult.Invalid(Describe(added));
            await tx.CommitAsync(ct);
            return CommandResult.Ok(null, $"Reset the password of '{user!.UserName}'.");
        }, ct);

    /// <summary>Ends a lockout after too many wrong passwords, and clears the count of failures. A user who is not locked out is left as is.</summary>
    public Task<CommandResult> UnlockUserAsync(Actor actor, string userName, CancellationToken ct = default) =>
        RunAsync(actor, $"unlock '{userName}'", async s =>
        {
            var user = await s.FindAsync(userName);
            if (UserRules.UserExists(user, userName) is { } missing) return Refuse(missing);
            // Blocks of the addresses that guessed this account's password end too.
            guard?.Unblock(user!.NormalizedUserName!);
            // The lockout lasts a minute: it may well have ended between the page showing it and the click.
            if (!await s.Users.IsLockedOutAsync(user!))
                return CommandResult.Ok(null, $"'{user!.UserName}' is not locked out; nothing changed.");

            await using var tx = await s.Db.Database.BeginTransactionAsync(ct);
            var ended = await s.Users.SetLockoutEndDateAsync(user!, null);
            if (!ended.Succeeded) return CommandResult.Failed(Describe(ended));
            var reset = await s.Users.ResetAccessFailedCountAsync(user!);
            if (!reset.Succeeded) return CommandResult.Failed(Describe(reset));
            await tx.CommitAsync(ct);
            return CommandResult.Ok(null, $"Unlocked '{user!.UserName}'.");
        }, ct);

    public Task<CommandResult> DeleteUserAsync(Actor actor, string userName, CancellationToken ct = default) =>
        RunAsync(actor, $"delete user '{userName}'", async s =>
        {
            var user = await s.FindAsync(userName);
            if ((UserRules.UserExists(user, userName)
                 ?? UserRules.NotYourself(s.IsActor(actor, user!), "delete")
                 ?? UserRules.NotLastAdmin(await s.RoleOfAsync(user!) == Roles.Admin, await s.AdminCountAsync(), user!.UserName!, "delete")) is { } refusal)
                return Refuse(refusal);

            var deleted = await s.Users.DeleteAsync(user!);
            return deleted.Succeeded ? CommandResult.Ok(null, $"Deleted user '{user!.UserName}'.") : CommandResult.Failed(Describe(deleted));
        }, ct);

    /// <summary>Authorize, run the body in its own scope, audit the outcome whatever it is.</summary>
    private async Task<CommandResult> RunAsync(Actor actor, string action, Func<Session, Task<CommandResult>> body, CancellationToken ct)
    {
        CommandResult result;
        try
        {
            await _gate.WaitAsync(ct);
            try
            {
                await using var scope = scopes.CreateAsyncScope();
                var session = new Session(scope.ServiceProvider);
                result = await AuthorizeAsync(session, actor) ?? await body(session);
            }
            finally { _gate.Release(); }
        }
        catch (Exception ex)
        {
            log.LogError(ex, "Could not {Action} for {Actor}", action, actor.UserName);
            result = CommandResult.Failed(ex is OperationCanceledException ? "The operation was cancelled." : ex.Message);
        }
        await audit.WriteAsync(actor.UserName, null, null, Operation, result.Succeeded ? AuditOutcome.Success : AuditOutcome.Failure,
            result.Succeeded ? result.Message! : $"Could not {action}: {result.Message}");
        return result;
    }

    /// <summary>
    /// The claims say who the caller was when they signed in; the database says who they are now. A demoted Admin's
    /// open page must not keep managing users, so both must say Admin.
    /// </summary>
    private static async Task<CommandResult?> AuthorizeAsync(Session s, Actor actor)
    {
        if (!actor.IsAdmin)
            return CommandResult.Forbidden($"Only administrators can manage users; {actor.UserName} is {(actor.IsHelpdesk ? Roles.Helpdesk : "not an Admin")}.");
        var me = await s.FindAsync(actor.UserName);
        if (me is null || !await s.Users.IsInRoleAsync(me, Roles.Admin))
            return CommandResult.Forbidden($"Only administrators can manage users; {actor.UserName} is no longer an Admin.");
        return null;
    }

    private static CommandResult Refuse(Refusal refusal) => new(refusal.Kind, refusal.Reason);

    /// <summary>Identity's own sentences ("Passwords must have at least one digit ('0'-'9')."), joined.</summary>
    private static string Describe(IdentityResult result) => string.Join(" ", result.Errors.Select(e => e.Description));

    private static string? RoleOf(IEnumerable<string?> roles)
    {
        var list = roles.ToList();
        return list.Contains(Roles.Admin) ? Roles.Admin : list.Contains(Roles.Helpdesk) ? Roles.Helpdesk : null;
    }

    /// <summary>One operation's Identity services, from one DI scope: the user manager works on <see cref="Db"/>.</summary>
    private sealed class Session(IServiceProvider services)
    {
        public UserManager<PortalUser> Users { get; } = services.GetRequiredService<UserManager<PortalUser>>();
        public PortalDbContext Db { get; } = services.GetRequiredService<PortalDbContext>();

        public Task<PortalUser?> FindAsync(string? name) =>
            string.IsNullOrWhiteSpace(name) ? Task.FromResult<PortalUser?>(null) : Users.FindByNameAsync(name.Trim());

        public async Task<string?> RoleOfAsync(PortalUser user) => RoleOf(await Users.GetRolesAsync(user));

        public async Task<int> AdminCountAsync() => (await Users.GetUsersInRoleAsync(Roles.Admin)).Count;

        public bool IsActor(Actor actor, PortalUser user) => Users.NormalizeName(actor.UserName) == user.NormalizedUserName;
    }
}
