using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Identity;
using Portal.Core.Auth;

namespace Portal.Api.Auth;

/// <summary>
/// The SSO endpoints oVirt's SDKs call besides the token endpoint: <c>/ovirt-engine/services/sso-logout</c>, which
/// every SDK's <c>close()</c> posts (<c>token=…&amp;scope=ovirt-app-api</c>) to revoke its token, and
/// <c>/ovirt-engine/sso/oauth/token-info</c>, which says whose a token is and until when. Both answer JSON; errors
/// have oVirt's SSO shape, <c>{"error_code": …, "error": …}</c>.
/// </summary>
internal static class SsoEndpoints
{
    public const string Logout = "/ovirt-engine/services/sso-logout";
    public const string TokenInfo = "/ovirt-engine/sso/oauth/token-info";

    /// <summary>The scope with which a client only asks whether a token is valid (oVirt's engine-to-SSO check).</summary>
    public const string ValidateScope = "ovirt-ext=token-info:validate";

    public sealed record TokenInfoResponse(
        [property: JsonPropertyName("active")] bool Active,
        [property: JsonPropertyName("token_type")] string TokenType,
        [property: JsonPropertyName("user_id")] string UserId,
        [property: JsonPropertyName("user_authz")] string UserAuthz,
        [property: JsonPropertyName("scope")] string Scope,
        [property: JsonPropertyName("exp")] string Exp,
        [property: JsonPropertyName("ovirt")] OvirtPrincipal Ovirt);

    public sealed record OvirtPrincipal(
        [property: JsonPropertyName("version")] string Version,
        [property: JsonPropertyName("principal_id")] string PrincipalId,
        [property: JsonPropertyName("namespace")] string Namespace,
        [property: JsonPropertyName("email")] string? Email,
        [property: JsonPropertyName("group_ids")] IReadOnlyList<string> GroupIds,
        [property: JsonPropertyName("capability_credentials_change")] bool CapabilityCredentialsChange);

    public static void MapSsoEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapMethods(Logout, [HttpMethods.Post, HttpMethods.Get], async (HttpContext http, ApiTokens tokens, UserManager<PortalUser> users, Portal.Auth.SignInGuard guard) =>
            {
                var token = await TokenParameterAsync(http);
                if (token is null) return Error(400, "invalid_request", "The token to revoke is missing: send token=<access_token>.");
                var (user, _, _) = await tokens.CheckAsync(token, users);
                // RFC 7009: a token that is unknown, expired or already revoked is answered like a revoked one.
                if (await tokens.RevokeAsync(token, http.RequestAborted) && user is not null) await guard.SignedOutAsync(user.UserName!, http, "API token");
                http.Response.Headers.CacheControl = "no-store";
                return Results.Json(new Dictionary<string, object>());
            })
            .AllowAnonymous()
            .DisableAntiforgery()
            .WithTags("Authentication")
            .WithSummary("Revoke a bearer token (sign out)")
            .WithDescription("Form field `token` (or `Authorization: Bearer`). The token stops working at once, also after a restart. " +
                             "Replies `{}`; a token that is unknown, expired or already revoked gets the same reply (RFC 7009). " +
                             "oVirt's SDKs call this from `close()`.")
            .Accepts<IFormCollection>("application/x-www-form-urlencoded")
            .Produces(200)
            .Produces<TokenEndpoint.TokenError>(400);

        app.MapMethods(TokenInfo, [HttpMethods.Post, HttpMethods.Get], async (HttpContext http, ApiTokens tokens, UserManager<PortalUser> users) =>
            {
                var token = await TokenParameterAsync(http);
                if (token is null) return Error(400, "invalid_request", "The token is missing: send token=<access_token>.");
                var (user, expires, refusal) = await tokens.CheckAsync(token, users);
                if (user is null) return Error(401, "invalid_grant", refusal!);
                http.Response.Headers.CacheControl = "no-store";
                var scope = await ParameterAsync(http, "scope") ?? "";
                if (scope.Split(' ').Contains(ValidateScope)) return Results.Json(new Dictionary<string, object>());
                var roles = await users.GetRolesAsync(user);
                return Results.Json(new TokenInfoResponse(true, "bearer", $"{user.UserName}@internal", "internal-authz", TokenEndpoint.Scope,
                    expires.ToUnixTimeMilliseconds().ToString(System.Globalization.CultureInfo.InvariantCulture),
                    new OvirtPrincipal("0", user.Id, "*", user.Email, [.. roles], false)));
            })
            .AllowAnonymous()
            .DisableAntiforgery()
            .WithTags("Authentication")
            .WithSummary("Describe a bearer token")
            .WithDescription("Form field or query parameter `token`. Replies `active`, `user_id` (user@internal), `exp` (epoch milliseconds) and " +
                             "`ovirt.group_ids` (the portal roles); with `scope=ovirt-ext=token-info:validate`, `{}` when the token is valid. " +
                             "An invalid, expired or revoked token is 401 `invalid_grant`.")
            .Produces<TokenInfoResponse>(200)
            .Produces<TokenEndpoint.TokenError>(400)
            .Produces<TokenEndpoint.TokenError>(401);
    }

    private static async Task<string?> TokenParameterAsync(HttpContext http)
    {
        if (await ParameterAsync(http, "token") is { Length: > 0 } token) return token;
        var header = http.Request.Headers.Authorization.ToString();
        return header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) && header.Length > 7 ? header[7..].Trim() : null;
    }

    /// <summary>A form field (POST) or query parameter.</summary>
    private static async Task<string?> ParameterAsync(HttpContext http, string name)
    {
        if (http.Request.HasFormContentType)
        {
            try
            {
                var form = await http.Request.ReadFormAsync(http.RequestAborted);
                if (form.TryGetValue(name, out var value)) return value.ToString();
            }
            catch (Exception ex) when (ex is InvalidDataException or BadHttpRequestException or IOException) { return null; }
        }
        return http.Request.Query.TryGetValue(name, out var q) ? q.ToString() : null;
    }

    private static IResult Error(int status, string code, string message) =>
        Results.Json(new TokenEndpoint.TokenError(code, message), statusCode: status);
}
