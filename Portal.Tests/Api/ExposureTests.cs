using System.Net;
using System.Text.RegularExpressions;
using static Portal.Tests.Api.ApiTestExtensions;

namespace Portal.Tests.Api;

/// <summary>Security headers on every response, an OpenAPI document that never echoes the Host header, an offline API reference.</summary>
public sealed partial class ExposureTests(PortalApiFactory app) : IClassFixture<PortalApiFactory>
{
    [Theory]
    [InlineData("/account/login")]
    [InlineData("/api-reference/")]
    [InlineData("/ovirt-engine/api")]
    [InlineData("/openapi/v1.json")]
    public async Task EveryResponse_HasNosniffReferrerPolicyNoFramingAndAPolicyWithoutExternalOrigins(string path)
    {
        using var client = app.Anonymous();
        var response = await client.Get(path);

        Assert.Equal("nosniff", response.Headers.GetValues("X-Content-Type-Options").Single());
        Assert.Equal("no-referrer", response.Headers.GetValues("Referrer-Policy").Single());
        Assert.Equal("DENY", response.Headers.GetValues("X-Frame-Options").Single());
        var csp = response.Headers.GetValues("Content-Security-Policy").Single();
        Assert.Contains("frame-ancestors 'none'", csp);
        Assert.Contains("default-src 'self'", csp);
        Assert.DoesNotContain("http", csp);
        // Blazor Server and MudBlazor need no eval; only the API reference's bundled script (Scalar) does.
        Assert.Equal(path.StartsWith("/api-reference"), csp.Contains("'unsafe-eval'"));
        Assert.False(response.Headers.Contains("Strict-Transport-Security"), "HSTS only over HTTPS");
    }

    [Fact]
    public async Task Page_ScriptsCarryTheNonceOfTheirResponsesPolicy()
    {
        using var client = app.Anonymous();
        var response = await client.Get("/account/login");
        var html = await response.Content.ReadAsStringAsync(Ct);
        var nonce = Regex.Match(response.Headers.GetValues("Content-Security-Policy").Single(), "'nonce-([^']+)'").Groups[1].Value;

        Assert.NotEmpty(nonce);
        var scripts = ScriptTag().Matches(html).Select(m => m.Value).ToList();
        Assert.NotEmpty(scripts);
        Assert.All(scripts, s => Assert.Contains($"nonce=\"{nonce}\"", s));
        // A fresh nonce for each response.
        var again = await client.Get("/account/login");
        Assert.DoesNotContain($"'nonce-{nonce}'", again.Headers.GetValues("Content-Security-Policy").Single());
    }

    [Fact]
    public async Task OpenApi_HostHeaderOfTheRequest_IsNotEchoedInServers()
    {
        using var client = app.Anonymous(json: true);
        using var request = new HttpRequestMessage(HttpMethod.Get, "/openapi/v1.json");
        request.Headers.Host = "evil.example";
        var response = await client.SendAsync(request, Ct);
        var body = await response.Content.ReadAsStringAsync(Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.DoesNotContain("evil.example", body);
        var doc = System.Text.Json.JsonDocument.Parse(body).RootElement;
        Assert.Equal("/", Assert.Single(doc.GetProperty("servers").EnumerateArray()).GetProperty("url").GetString());
    }

    [Fact]
    public async Task OpenApi_ConfiguredPublicUrl_IsTheServer()
    {
        await using var own = new PortalApiFactory { Settings = { ["Api:PublicUrl"] = "https://portal.example.com/" } };
        using var client = own.Anonymous(json: true);
        using var request = new HttpRequestMessage(HttpMethod.Get, "/openapi/v1.json");
        request.Headers.Host = "evil.example";
        var doc = await (await client.SendAsync(request, Ct)).JsonAsync(HttpStatusCode.OK);

        Assert.Equal("https://portal.example.com", Assert.Single(doc.GetProperty("servers").EnumerateArray()).GetProperty("url").GetString());
    }

    [Fact]
    public async Task ApiReference_IsOfflineWithoutCloudFeatures()
    {
        using var client = app.Anonymous();
        client.DefaultRequestHeaders.Accept.Clear();
        var html = await (await client.Get("/api-reference/")).Content.ReadAsStringAsync(Ct);

        // Every script and stylesheet is the portal's own; the configuration turns off the CDN fonts and the cloud features.
        Assert.DoesNotMatch("(src|href)=\"(https?:)?//", html);
        Assert.Contains("\"withDefaultFonts\":false", html);
        Assert.Contains("\"showDeveloperTools\":\"never\"", html);
        Assert.Contains("\"hideClientButton\":true", html);
        Assert.Matches("\"agent\":\\{\"disabled\":true", html);
        Assert.Matches("\"mcp\":\\{\"disabled\":true", html);
    }

    [GeneratedRegex("<script[^>]*>")]
    private static partial Regex ScriptTag();
}
