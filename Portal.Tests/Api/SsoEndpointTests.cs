using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using static Portal.Tests.Api.ApiTestExtensions;

namespace Portal.Tests.Api;

/// <summary>oVirt's SSO endpoints besides the token: sso-logout (what every SDK's close() calls) and token-info.</summary>
public sealed class SsoEndpointTests(PortalApiFactory app) : IClassFixture<PortalApiFactory>
{
    private const string Logout = "/ovirt-engine/services/sso-logout";
    private const string TokenInfo = "/ovirt-engine/sso/oauth/token-info";

    private static FormUrlEncodedContent Form(params (string Key, string Value)[] fields) =>
        new(fields.Select(f => new KeyValuePair<string, string>(f.Key, f.Value)));

    private static async Task<JsonElement> SsoJsonAsync(HttpResponseMessage response, HttpStatusCode expected)
    {
        var body = await response.Content.ReadAsStringAsync(Ct);
        Assert.True(expected == response.StatusCode, $"Expected {(int)expected}, got {(int)response.StatusCode}: {body}");
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        return JsonDocument.Parse(body).RootElement.Clone();
    }

    private HttpClient WithToken(string token)
    {
        var client = app.Client(null);
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    [Fact]
    public async Task SsoLogout_AsTheSdkSendsIt_RevokesThatTokenAtOnce()
    {
        var token = await app.TokenAsync("admin@internal", PortalApiFactory.AdminPassword);
        var other = await app.TokenAsync("admin@internal", PortalApiFactory.AdminPassword);
        using var client = WithToken(token);
        await (await client.Get($"{Base}/vms")).XmlAsync(HttpStatusCode.OK);

        using var anonymous = app.Anonymous(json: true);
        var reply = await SsoJsonAsync(await anonymous.Post(Logout, Form(("scope", "ovirt-app-api"), ("token", token))), HttpStatusCode.OK);

        Assert.Equal(JsonValueKind.Object, reply.ValueKind);
        Assert.Empty(reply.EnumerateObject());
        Assert.Contains("revoked", await (await client.Get($"{Base}/vms")).FaultAsync(HttpStatusCode.Unauthorized));
        using var stillValid = WithToken(other);
        await (await stillValid.Get($"{Base}/vms")).XmlAsync(HttpStatusCode.OK);
    }

    [Fact]
    public async Task SsoLogout_Revocation_SurvivesARestart()
    {
        var first = new PortalApiFactory { KeepDataOnDispose = true };
        string revoked, kept, directory = first.DataDirectory;
        try
        {
            await first.InitializeAsync();
            revoked = await first.TokenAsync("admin@internal", PortalApiFactory.AdminPassword);
            kept = await first.TokenAsync("admin@internal", PortalApiFactory.AdminPassword);
            using var anonymous = first.Anonymous(json: true);
            await SsoJsonAsync(await anonymous.Post(Logout, Form(("token", revoked))), HttpStatusCode.OK);
        }
        finally { await first.DisposeAsync(); }

        await using var second = PortalApiFactory.Reopen(directory);
        using var withRevoked = second.Client(null);
        withRevoked.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", revoked);
        Assert.Contains("revoked", await (await withRevoked.Get($"{Base}/vms")).FaultAsync(HttpStatusCode.Unauthorized));
        using var withKept = second.Client(null);
        withKept.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", kept);
        await (await withKept.Get($"{Base}/vms")).XmlAsync(HttpStatusCode.OK);
    }

    [Fact]
    public async Task SsoLogout_WithoutToken_AnswersTheSsoErrorShape()
    {
        using var anonymous = app.Anonymous(json: true);
        var error = await SsoJsonAsync(await anonymous.Post(Logout, Form(("scope", "ovirt-app-api"))), HttpStatusCode.BadRequest);

        Assert.Equal("invalid_request", error.GetProperty("error_code").GetString());
        Assert.Contains("token", error.GetProperty("error").GetString());
    }

    [Fact]
    public async Task SsoLogout_OfATokenNotIssuedHere_AnswersLikeARevocation()
    {
        using var anonymous = app.Anonymous(json: true);
        var reply = await SsoJsonAsync(await anonymous.Post(Logout, Form(("token", "CfDJ8-not-a-token"))), HttpStatusCode.OK);
        Assert.Empty(reply.EnumerateObject());
    }

    [Fact]
    public async Task TokenInfo_ValidToken_SaysWhoseAndUntilWhen()
    {
        var token = await app.TokenAsync("admin@internal", PortalApiFactory.AdminPassword);
        using var anonymous = app.Anonymous(json: true);

        var info = await SsoJsonAsync(await anonymous.Post(TokenInfo, Form(("token", token))), HttpStatusCode.OK);

        Assert.True(info.GetProperty("active").GetBoolean());
        Assert.Equal("admin@internal", info.GetProperty("user_id").GetString());
        Assert.Equal("ovirt-app-api", info.GetProperty("scope").GetString());
        var exp = DateTimeOffset.FromUnixTimeMilliseconds(long.Parse(info.GetProperty("exp").GetString()!));
        Assert.InRange(exp, DateTimeOffset.UtcNow.AddMinutes(50), DateTimeOffset.UtcNow.AddMinutes(61));
        Assert.Contains("Admin", info.GetProperty("ovirt").GetProperty("group_ids").EnumerateArray().Select(g => g.GetString()));

        var validate = await SsoJsonAsync(await anonymous.Get($"{TokenInfo}?token={Uri.EscapeDataString(token)}&scope=ovirt-ext%3Dtoken-info%3Avalidate"),
            HttpStatusCode.OK);
        Assert.Empty(validate.EnumerateObject());
    }

    [Fact]
    public async Task TokenInfo_RevokedOrForeignToken_AnswersInvalidGrant()
    {
        var token = await app.TokenAsync("admin@internal", PortalApiFactory.AdminPassword);
        using var anonymous = app.Anonymous(json: true);
        await SsoJsonAsync(await anonymous.Post(Logout, Form(("token", token))), HttpStatusCode.OK);

        var revoked = await SsoJsonAsync(await anonymous.Post(TokenInfo, Form(("token", token))), HttpStatusCode.Unauthorized);
        Assert.Equal("invalid_grant", revoked.GetProperty("error_code").GetString());
        Assert.Contains("revoked", revoked.GetProperty("error").GetString());
        var foreign = await SsoJsonAsync(await anonymous.Post(TokenInfo, Form(("token", "nope"))), HttpStatusCode.Unauthorized);
        Assert.Equal("invalid_grant", foreign.GetProperty("error_code").GetString());
        var missing = await SsoJsonAsync(await anonymous.Post(TokenInfo, Form()), HttpStatusCode.BadRequest);
        Assert.Equal("invalid_request", missing.GetProperty("error_code").GetString());
    }
}
