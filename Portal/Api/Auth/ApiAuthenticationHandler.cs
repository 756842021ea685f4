using System.Security.Claims;
using System.Text;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;
using Portal.Auth;
using Portal.Core.Auth;

namespace Portal.Api.Auth;

/// <summary>
/// The API's scheme: HTTP Basic (<c>user@internal</c>, as oVirt clients send it) or a bearer token from the token
/// endpoint. On the event hub it also takes the token from <c>?access_token=</c> (browsers cannot set headers on
/// WebSockets) and, with neither, the portal's sign-in cookie. It never redirects: a challenge is 401 with a fault,
/// a refusal 403 with a fault.
/// </summary>
public sealed class ApiAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder, ApiTokens tokens, SignInGuard guard)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "OvirtApi";

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var header = Request.Headers.Authorization.ToString();
        if (header.StartsWith("Basic ", StringComparison.OrdinalIgnoreCase)) return await BasicAsync(header["Basic ".Length..].Trim());
        if (header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase)) return await BearerAsync(header["Bearer ".Length..].Trim());
        if (header.Length > 0) return AuthenticateResult.Fail("Only Basic and Bearer authorization are accepted.");
        if (!ApiPaths.IsHub(Request.Path)) return AuthenticateResult.NoResult();

        if (Request.Query["access_token"].ToString() is { Length: > 0 } token) return await BearerAsync(token);
        var cookie = await Context.AuthenticateAsync(IdentityConstants.ApplicationScheme);
        return cookie.Succeeded ? Success(cookie.Principal) : AuthenticateResult.NoResult();
    }

    private async Task<AuthenticateResult> BasicAsync(string encoded)
    {
        string decoded;
        try { decoded = Encoding.UTF8.GetString(Convert.FromBase64String(encoded)); }
        catch (FormatException) { return AuthenticateResult.Fail("The Basic credentials are not valid base64."); }
        var colon = decoded.IndexOf(':');
        if (colon <= 0) return AuthenticateResult.Fail("The Basic credentials must be user@internal:password.");
        var (name, password) = (AccountEndpoints.NormalizeUserName(decoded[..colon]), decoded[(colon + 1)..]);

        var sp = Context.RequestServices;
        var users = sp.GetRequiredService<UserManager<PortalUser>>();
        // A client that just proved this user and password is not made to pay the password hash again.
        var user = await guard.CachedBasicAsync(users, name, password);
        if (user is null)
        {
            var outcome = await guard.CheckPasswordAsync(Context, name, password, "API Basic");
            if (outcome.Verdict == SignInVerdict.Throttled) return AuthenticateResult.Fail(new SignInThrottledException(outcome.RetryAfter));
            if (outcome.User is null) return AuthenticateResult.Fail(SignInGuard.WrongCredentials);
            user = outcome.User;
            guard.RememberBasic(name, password, user);
        }
        return Success(await sp.GetRequiredService<SignInManager<PortalUser>>().CreateUserPrincipalAsync(user));
    }

    private async Task<AuthenticateResult> BearerAsync(string token)
    {
        var (principal, refusal) = await tokens.ValidateAsync(token, Context.RequestAborted);
        return principal is null ? AuthenticateResult.Fail(refusal!) : Success(principal);
    }

    private AuthenticateResult Success(ClaimsPrincipal principal) =>
        AuthenticateResult.Success(new AuthenticationTicket(principal, SchemeName));

    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        var result = await HandleAuthenticateOnceSafeAsync();
        if (result.Failure is SignInThrottledException throttled)
        {
            Response.Headers.RetryAfter = ((int)Math.Ceiling(throttled.RetryAfter.TotalSeconds)).ToString(System.Globalization.CultureInfo.InvariantCulture);
            await OvirtFormat.WriteAsync(Context, StatusCodes.Status429TooManyRequests, new ApiFault(429, "Too Many Requests", throttled.Message).Body);
            return;
        }
        Response.Headers.Append(HeaderNames.WWWAuthenticate, "Basic realm=\"RESTAPI\"");
        Response.Headers.Append(HeaderNames.WWWAuthenticate, "Bearer");
        var detail = result.Failure?.Message ?? "Authentication is required: HTTP Basic with user@internal, or a bearer token from " + ApiPaths.Token + ".";
        await OvirtFormat.WriteAsync(Context, StatusCodes.Status401Unauthorized, new ApiFault(401, "Unauthorized", detail).Body);
    }

    protected override Task HandleForbiddenAsync(AuthenticationProperties properties) =>
        OvirtFormat.WriteAsync(Context, StatusCodes.Status403Forbidden, new ApiFault(403, "Forbidden",
            Request.Path.StartsWithSegments(Observability.MetricsExtensions.Path)
                ? $"The metrics need the Admin role; {Context.User.Identity?.Name} is not an Admin."
                : $"The user {Context.User.Identity?.Name} has neither the Admin nor the Helpdesk role.").Body);
}

/// <summary>Too many failed sign-ins from the client's address: the request is answered 429 without checking the password.</summary>
public sealed class SignInThrottledException(TimeSpan retryAfter)
    : Exception($"Too many failed sign-ins from this address; try again in {Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds))} seconds.")
{
    public TimeSpan RetryAfter { get; } = retryAfter;
}
