using Microsoft.AspNetCore.Identity;

namespace Portal.Core.Auth;

public class PortalUser : IdentityUser;

public static class Roles
{
    public const string Admin = "Admin";
    public const string Helpdesk = "Helpdesk";
    public static readonly string[] All = [Admin, Helpdesk];
}

/// <summary>Who asked for an operation; commands check the role themselves, whatever the entry point.</summary>
public sealed record Actor(string UserName, bool IsAdmin, bool IsHelpdesk)
{
    public static readonly Actor System = new("system", true, true);
    public static Actor Admin(string name) => new(name, true, true);
    public static Actor Helpdesk(string name) => new(name, false, true);
}
