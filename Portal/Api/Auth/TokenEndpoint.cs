using System.Text.Json.Serialization;
using Portal.Auth;

namespace Portal.Api.Auth;

/// <summary>
/// oVirt's SSO token endpoint, as its SDKs call it: <c>POST /ovirt-engine/sso/oauth/token</c> with the form
/// <c>grant_type=password&amp;username=admin@internal&amp;password=…&amp;scope=ovirt-app-api</c>.
/// </summary>
internal static class TokenEndpoint
{
    public const string Scope = "ovirt-app-api";

    public sealed record TokenResponse(
        [property: JsonPropertyName("access_token")] string AccessToken,
        [property: JsonPropertyName("token_type")] string TokenType,
        [property: JsonPropertyName("expires_in")] long ExpiresIn,
        [property: JsonPropertyName("scope")] string Scope,
        [property: JsonPropertyName("exp")] string Exp);

    /// <summary>oVirt's SSO error shape: <c>error_code</c> and the readable <c>error</c>.</summary>
    public sealed record TokenError(
        [property: JsonPropertyName("error_code")] string ErrorCode,
        [property: JsonPropertyName("error")] string Error);

    public static void MapTokenEndpoint(this IEndpointRouteBuilder app) =>
        app.MapPost(ApiPaths.Token, async (HttpContext http, ApiTokens tokens, SignInGuard guard) =>
            {
                if (!http.Request.HasFormContentType)
                    return Error(400, "invalid_request", "Send the form grant_type=password, username, password and scope=ovirt-app-api.");
                IFormCollection form;
                try { form = await http.Request.ReadFormAsync(http.RequestAborted); }
                catch (Exception ex) when (ex is InvalidDataException or BadHttpRequestException or IOException)
                {
                    return Error(400, "invalid_request", "The form could not be read: " + ex.Message);
                }
                if (form["grant_type"] != "password")
                    return Error(400, "unsupported_grant_type", "Only grant_type=password is supported.");
                var scope = form["scope"].ToString();
                if (scope.Length > 0 && !scope.Split(' ').Contains(Scope))
                    return Error(400, "invalid_scope", $"The scope must include {Scope}.");
                var name = form["username"].ToString();
                var password = form["password"].ToString();
                if (name.Length == 0 || password.Length == 0)
                    return Error(400, "invalid_request", "Both username and password are required.");

                var outcome = await guard.CheckPasswordAsync(http, AccountEndpoints.NormalizeUserName(name), password, "API token");
                if (outcome.Verdict == SignInVerdict.Throttled)
                {
                    var throttled = new SignInThrottledException(outcome.RetryAfter);
                    http.Response.Headers.RetryAfter = ((int)Math.Ceiling(outcome.RetryAfter.TotalSeconds)).ToString(System.Globalization.CultureInfo.InvariantCulture);
                    return Error(429, "access_denied", throttled.Message);
                }
                if (outcome.User is not { } user) return Error(401, "access_denied", SignInGuard.WrongCredentials);
                var (token, expires) = tokens.Issue(user);
                http.Response.Headers.CacheControl = "no-store";
                return Results.Json(new TokenResponse(token, "Bearer", (long)tokens.Lifetime.TotalSeconds, Scope,
                    expires.ToUnixTimeMilliseconds().ToString(System.Globalization.CultureInfo.InvariantCulture)));
            })
            .AllowAnonymous()
            .DisableAntiforgery()
            .WithTags("Authentication")
            .WithSummary("Get a bearer token (OAuth 2 password grant)")
            .WithDescription("Form fields: grant_type=password, username (user@internal), password, scope=ovirt-app-api. " +
                             "Use the token as `Authorization: Bearer <access_token>`. Wrong passwords count toward the account lockout.")
            .Accepts<IFormCollection>("application/x-www-form-urlencoded")
            .Produces<TokenResponse>(200)
            .Produces<TokenError>(400)
            .Produces<TokenError>(401)
            .Produces<TokenError>(429);

    private static IResult Error(int status, string code, string message) => Results.Json(new TokenError(code, message), statusCode: status);
}
