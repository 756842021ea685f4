using System.Security.Cryptography;

namespace Portal.Auth;

/// <summary>
/// Headers on every response: <c>X-Content-Type-Options: nosniff</c>, <c>Referrer-Policy: no-referrer</c>, no framing
/// (<c>X-Frame-Options</c> and CSP <c>frame-ancestors 'none'</c>, the API reference page included), HSTS over HTTPS,
/// and a Content-Security-Policy that allows the portal's own origin and nothing external. Scripts need the
/// response's nonce (the import map Blazor writes inline, the API reference's inline configuration), and eval is
/// allowed on the API reference page only (Scalar's bundle uses it; an E2E test checks the pages report no
/// violation); styles may be
/// inline, as MudBlazor sets style attributes; WebSockets go to the same origin (<c>connect-src 'self'</c>).
/// </summary>
public static class SecurityHeaders
{
    /// <summary>The per-response nonce scripts must carry; Scalar's own, on the API reference page.</summary>
    public const string NonceItem = "portal.csp-nonce";

    public static string Nonce(HttpContext http) =>
        http.Items[Scalar.AspNetCore.ScalarOptions.NonceHttpContextItemKey] as string ?? http.Items[NonceItem] as string ?? "";

    /// <summary>The API reference page, whose bundled script (Scalar's) calls eval; the portal's pages never need it.</summary>
    public const string ApiReferencePath = "/api-reference";

    public static string Policy(string nonce, bool allowEval = false) =>
        "default-src 'self'; " +
        $"script-src 'self' 'nonce-{nonce}'{(allowEval ? " 'unsafe-eval'" : "")}; " +
        "style-src 'self' 'unsafe-inline'; " +
        "img-src 'self' data:; " +
        "font-src 'self' data:; " +
        "connect-src 'self'; " +
        "object-src 'none'; " +
        "base-uri 'self'; " +
        "form-action 'self'; " +
        "frame-ancestors 'none'";

    public static IApplicationBuilder UseSecurityHeaders(this IApplicationBuilder app) => app.Use(async (http, next) =>
    {
        http.Items[NonceItem] = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16)); // hex: nothing for HTML to encode
        http.Response.OnStarting(() =>
        {
            var h = http.Response.Headers;
            h.XContentTypeOptions = "nosniff";
            h["Referrer-Policy"] = "no-referrer";
            h.XFrameOptions = "DENY";
            h.ContentSecurityPolicy = Policy(Nonce(http), allowEval: http.Request.Path.StartsWithSegments(ApiReferencePath));
            if (http.Request.IsHttps) h.StrictTransportSecurity = "max-age=31536000";
            return Task.CompletedTask;
        });
        await next(http);
    });
}
