using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Antiforgery;
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
        // The form is read and its anti-forgery token checked here rather than by parameter binding, so that a post
        // without a valid token is a plain 400 and one warning, not an exception with stack traces.
        app.MapPost("/account/login", async (HttpContext http, SignInManager<PortalUser> signIn, SignInGuard guard, IAntiforgery antiforgery,
            ILoggerFactory loggers) =>
        {
            if (await ValidFormAsync(http, antiforgery, loggers) is not { } form) return Results.BadRequest();
            string? username = form["username"], password = form["password"];
            var back = SafeReturnUrl(form["returnUrl"]);
            if (string.IsNullOrWhiteSpace(username) || string.IsNullOrEmpty(password))
                return Results.Redirect($"/account/login?error=missing&returnUrl={Uri.EscapeDataString(back)}");
            var outcome = await guard.CheckPasswordAsync(http, NormalizeUserName(username), password, "web");
            if (outcome.User is { } user)
            {
                await signIn.SignInAsync(user, isPersistent: false);
                return Results.LocalRedirect(back);
            }
            // A locked-out account, an unknown one and a wrong password get the same answer: it must not tell which accounts exist.
            var error = outcome.Verdict == SignInVerdict.Throttled ? "throttled" : "invalid";
            return Results.Redirect($"/account/login?error={error}&returnUrl={Uri.EscapeDataString(back)}");
        }).AllowAnonymous().WithOrder(-1); // before the login page's own endpoint, which takes form posts too

        app.MapPost("/account/logout", async (HttpContext http, SignInManager<PortalUser> signIn, SignInGuard guard, IAntiforgery antiforgery,
            ILoggerFactory loggers) =>
        {
            if (await ValidFormAsync(http, antiforgery, loggers) is null) return Results.BadRequest();
            if (http.User.Identity is { IsAuthenticated: true, Name: { } name }) await guard.SignedOutAsync(name, http, "web");
            await signIn.SignOutAsync();
            return Results.Redirect("/account/login");
        }).WithOrder(-1);
    }

    /// <summary>The posted form when its anti-forgery token is valid; null (and a warning) otherwise.</summary>
    private static async Task<IFormCollection?> ValidFormAsync(HttpContext http, IAntiforgery antiforgery, ILoggerFactory loggers)
    {
        var log = loggers.CreateLogger("Portal.Auth");
        try
        {
            if (!http.Request.HasFormContentType) throw new AntiforgeryValidationException("The request is not a form post.");
            var form = await http.Request.ReadFormAsync(http.RequestAborted);
            await antiforgery.ValidateRequestAsync(http);
            return form;
        }
        catch (Exception ex) when (ex is AntiforgeryValidationException or InvalidDataException or BadHttpRequestException or IOException)
        {
            log.LogWarning("Refused {Method} {Path} from {Address}: {Reason}", http.Request.Method, http.Request.Path, SignInGuard.AddressOf(http), ex.Message);
            return null;
        }
    }

    private static string SafeReturnUrl(string? url) =>
        !string.IsNullOrEmpty(url) && url.StartsWith('/') && !url.StartsWith("//") && !url.StartsWith("/\\") ? url : "/";
}
