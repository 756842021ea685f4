using Microsoft.AspNetCore.Identity;
using Portal.Core.Auth;

namespace Portal.Api.Auth;

/// <summary>The password check shared by Basic authentication and the token endpoint; wrong passwords count toward lockout.</summary>
internal static class ApiSignIn
{
    /// <summary>A hash to verify against when the user does not exist, so the reply takes as long as for a wrong password.</summary>
    private static readonly Lazy<string> DummyHash = new(() => new PasswordHasher<PortalUser>().HashPassword(new PortalUser(), Guid.NewGuid().ToString()));

    public const string WrongCredentials = "The user name or password is incorrect.";

    public static async Task<(PortalUser? User, string? Refusal)> CheckPasswordAsync(IServiceProvider services, string userName, string password)
    {
        var users = services.GetRequiredService<UserManager<PortalUser>>();
        var user = await users.FindByNameAsync(userName);
        if (user is null)
        {
            users.PasswordHasher.VerifyHashedPassword(new PortalUser(), DummyHash.Value, password);
            return (null, WrongCredentials);
        }
        var signIn = services.GetRequiredService<SignInManager<PortalUser>>();
        var result = await signIn.CheckPasswordSignInAsync(user, password, lockoutOnFailure: true);
        if (result.Succeeded) return (user, null);
        services.GetRequiredService<ILoggerFactory>().CreateLogger("Portal.Api.Auth")
            .LogWarning("Failed API sign-in for {User} (locked out: {LockedOut})", userName, result.IsLockedOut);
        return (null, result.IsLockedOut
            ? "The account is locked out after too many failed sign-ins; try again later."
            : result.IsNotAllowed ? "The account may not sign in." : WrongCredentials);
    }
}
