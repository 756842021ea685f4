using System.Text.RegularExpressions;
using Portal.Core.Auth;
using Portal.Core.Commands;

namespace Portal.Users;

/// <summary>Small named checks for user management; each returns the reason it refuses, or null.</summary>
public static partial class UserRules
{
    public const int MaxUserNameLength = 64;

    // No '@': the sign-in form strips an oVirt "@internal" suffix, so a name containing '@' would be ambiguous.
    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._-]*$")]
    private static partial Regex UserNamePattern();

    public static Refusal? UserNameIsValid(string? name)
    {
        if (string.IsNullOrWhiteSpace(name)) return Refusal.BadInput("Enter a user name.");
        if (name.Length > MaxUserNameLength)
            return Refusal.BadInput($"The user name is {name.Length} characters long; at most {MaxUserNameLength} are allowed.");
        return UserNamePattern().IsMatch(name) ? null
            : Refusal.BadInput("A user name may contain only letters, digits, '.', '_' and '-', and must start with a letter or digit.");
    }

    public static Refusal? PasswordEntered(string? password) =>
        string.IsNullOrEmpty(password) ? Refusal.BadInput("Enter a password.") : null;

    public static Refusal? KnownRole(string? role) =>
        Roles.All.Contains(role) ? null
            : Refusal.BadInput($"Unknown role '{role}'. A user is either {Roles.Admin} or {Roles.Helpdesk}.");

    public static Refusal? UserExists(PortalUser? user, string name) =>
        user is null ? Refusal.Missing($"There is no user named '{name}' (it may have been deleted).") : null;

    public static Refusal? NameIsFree(PortalUser? existing, string name) =>
        existing is null ? null : new($"A user named '{existing.UserName ?? name}' already exists.");

    public static Refusal? NotYourself(bool isActor, string action) =>
        isActor ? new($"You cannot {action} your own account; ask another Admin to do it.") : null;

    /// <summary>Without an Admin nobody could manage users again, short of editing the database.</summary>
    public static Refusal? NotLastAdmin(bool isAdmin, int adminCount, string name, string action) =>
        isAdmin && adminCount <= 1
            ? new($"'{name}' is the last Admin. Make another user an Admin before you {action} '{name}'.") : null;
}
