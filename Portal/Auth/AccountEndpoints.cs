using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc;
using Portal.Core.Auth;

namespace Portal.Auth;

internal static class AccountEndpoints
{
    /// <summary>oVirt clients name users "admin@internal"; the portal has one profile, so the suffix is dropped.</summary>
    public static string NormalizeUserName(string name)
    {
        name = name.Trim();
        return name.EndsWith("@internal", StringComparison.OrdinalIgnoreCase) ? name[..^"@internal".Length] : name;
    }

    public static void MapAccountEndpoints(this WebApplication app)
    {
        app.MapPost("/account/login", async ([FromForm] string? username, [FromForm] string? password, [FromForm] string? returnUrl,
            SignInManager<PortalUser> signIn, ILoggerFactory loggers) =>
        {
            var back = SafeReturnUrl(returnUrl);
            if (string.IsNullOrWhiteSpace(username) || string.IsNullOrEmpty(password))
                return Results.Redirect($"/account/login?error=missing&returnUrl={Uri.EscapeDataString(back)}");
            var result = await signIn.PasswordSignInAsync(NormalizeUserName(username), password, isPersistent: false, lockoutOnFailure: true);
            if (result.Succeeded) return Results.LocalRedirect(back);
            loggers.CreateLogger("Portal.Auth").LogWarning("Failed login for {User} (locked out: {LockedOut})", username, result.IsLockedOut);
            var error = result.IsLockedOut ? "locked" : "invalid";
            return Results.Redirect($"/account/login?error={error}&returnUrl={Uri.EscapeDataString(back)}");
        }).AllowAnonymous();

        app.MapPost("/account/logout", async (SignInManager<PortalUser> signIn) =>
        {
            await signIn.SignOutAsync();
            return Results.Redirect("/account/login");
        });
    }

    private static string SafeReturnUrl(string? url) =>
        !string.IsNullOrEmpty(url) && url.StartsWith('/') && !url.StartsWith("//") && !url.StartsWith("/\\") ? url : "/";
}
