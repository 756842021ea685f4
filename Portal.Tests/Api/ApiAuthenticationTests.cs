using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.DependencyInjection;
using Portal.Core.Auth;
using static Portal.Tests.Api.ApiTestExtensions;

namespace Portal.Tests.Api;

public sealed class ApiAuthenticationTests(PortalApiFactory app) : IClassFixture<PortalApiFactory>
{
    [Fact]
    public async Task Api_WithoutCredentials_Answers401FaultNotLoginRedirect()
    {
        using var client = app.Anonymous();
        var response = await client.Get($"{Base}/vms");

        var detail = await response.FaultAsync(HttpStatusCode.Unauthorized);
        Assert.Contains("Basic", detail);
        Assert.Contains(response.Headers.WwwAuthenticate, h => h.Scheme == "Basic");
        Assert.Null(response.Headers.Location);
    }

    [Fact]
    public async Task Api_UnknownPathWithoutCredentials_Answers401FaultNotLoginRedirect()
    {
        using var client = app.Anonymous();
        var response = await client.Get($"{Base}/datacenters");

        await response.FaultAsync(HttpStatusCode.Unauthorized);
        Assert.Null(response.Headers.Location);
    }

    [Fact]
    public async Task Api_UnknownPathAsAdmin_Answers404Fault()
    {
        using var client = app.Admin();
        await (await client.Get($"{Base}/datacenters")).FaultAsync(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Api_WrongMethodAsAdmin_Answers405Fault()
    {
        using var client = app.Admin();
        var response = await client.PutAsync($"{Base}/vms", Xml("<vms/>"), Ct);
        await response.FaultAsync(HttpStatusCode.MethodNotAllowed);
    }

    [Fact]
    public async Task Api_WrongPassword_Answers401FaultSayingSo()
    {
        using var client = app.Client(("admin@internal", "not-the-password"));
        var detail = await (await client.Get($"{Base}/vms")).FaultAsync(HttpStatusCode.Unauthorized);
        Assert.Equal("The user name or password is incorrect.", detail);
    }

    [Fact]
    public async Task Api_UserNameWithoutInternalSuffix_IsAcceptedToo()
    {
        using var client = app.Client(("admin", PortalApiFactory.AdminPassword));
        await (await client.Get($"{Base}/vms")).XmlAsync(HttpStatusCode.OK);
    }

    [Fact]
    public async Task Api_AliasPath_AnswersLikeTheOvirtPath()
    {
        using var client = app.Admin();
        var vms = await (await client.Get("/api/vms")).XmlAsync(HttpStatusCode.OK);
        Assert.Contains(vms.Elements("vm"), v => v.Text("name") == "web-frontend");
    }

    [Fact]
    public async Task Api_UserWithoutRole_Answers403Fault()
    {
        using var client = app.Client((PortalApiFactory.NoRoleUser + "@internal", PortalApiFactory.NoRolePassword));
        var detail = await (await client.Get($"{Base}/vms")).FaultAsync(HttpStatusCode.Forbidden);
        Assert.Contains("neither the Admin nor the Helpdesk role", detail);
    }

    [Fact]
    public async Task TokenEndpoint_PasswordGrant_GivesBearerTokenThatReadsVms()
    {
        using var anonymous = app.Anonymous(json: true);
        var response = await anonymous.Post("/ovirt-engine/sso/oauth/token", Form("password", "admin@internal", PortalApiFactory.AdminPassword));

        var body = await response.JsonAsync(HttpStatusCode.OK);
        Assert.Equal("Bearer", body.GetProperty("token_type").GetString());
        Assert.Equal(3600, body.GetProperty("expires_in").GetInt64());
        using var client = app.Anonymous();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", body.GetProperty("access_token").GetString());
        var vms = await (await client.Get($"{Base}/vms")).XmlAsync(HttpStatusCode.OK);
        Assert.Equal(7, vms.Elements("vm").Count());
    }

    [Fact]
    public async Task TokenEndpoint_WrongPassword_Answers401WithOvirtError()
    {
        using var anonymous = app.Anonymous(json: true);
        var body = await (await anonymous.Post("/ovirt-engine/sso/oauth/token", Form("password", "admin@internal", "nope")))
            .JsonAsync(HttpStatusCode.Unauthorized);
        Assert.Equal("access_denied", body.GetProperty("error_code").GetString());
        Assert.Equal("The user name or password is incorrect.", body.GetProperty("error").GetString());
    }

    [Fact]
    public async Task TokenEndpoint_OtherGrantType_Answers400()
    {
        using var anonymous = app.Anonymous(json: true);
        var body = await (await anonymous.Post("/ovirt-engine/sso/oauth/token", Form("client_credentials", "admin", PortalApiFactory.AdminPassword)))
            .JsonAsync(HttpStatusCode.BadRequest);
        Assert.Equal("unsupported_grant_type", body.GetProperty("error_code").GetString());
    }

    [Fact]
    public async Task BearerToken_Tampered_Answers401Fault()
    {
        var token = await app.TokenAsync("admin@internal", PortalApiFactory.AdminPassword);
        using var client = app.Anonymous();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token[..^4] + "AAAA");
        var detail = await (await client.Get($"{Base}/vms")).FaultAsync(HttpStatusCode.Unauthorized);
        Assert.Contains("invalid or has expired", detail);
    }

    [Fact]
    public async Task BearerToken_AfterPasswordChange_IsRefused()
    {
        await AddUserAsync("rotating", "Rotating-pass-1", Roles.Helpdesk);
        using var client = await app.BearerAsync("rotating@internal", "Rotating-pass-1");
        await (await client.Get($"{Base}/vms")).XmlAsync(HttpStatusCode.OK);

        using (var scope = app.Services.CreateScope())
        {
            var users = scope.ServiceProvider.GetRequiredService<UserManager<PortalUser>>();
            var user = (await users.FindByNameAsync("rotating"))!;
            Assert.True((await users.ChangePasswordAsync(user, "Rotating-pass-1", "Rotating-pass-2")).Succeeded);
        }

        var detail = await (await client.Get($"{Base}/vms")).FaultAsync(HttpStatusCode.Unauthorized);
        Assert.Contains("no longer valid", detail);
    }

    [Fact]
    public async Task BasicAuth_FiveWrongPasswords_BlockThatAddressOnlyWithTheSameMessage()
    {
        await AddUserAsync("guessed", "Guessed-pass-1", Roles.Helpdesk);
        using var wrong = app.Client(("guessed@internal", "wrong"));
        wrong.DefaultRequestHeaders.Add(ClientAddressFilter.Header, "192.0.2.10");
        for (var i = 0; i < 5; i++)
            Assert.Equal("The user name or password is incorrect.", await (await wrong.Get($"{Base}/vms")).FaultAsync(HttpStatusCode.Unauthorized));

        // From the guessing address even the right password is refused, with the very same words.
        using var right = app.Client(("guessed@internal", "Guessed-pass-1"));
        right.DefaultRequestHeaders.Add(ClientAddressFilter.Header, "192.0.2.10");
        Assert.Equal("The user name or password is incorrect.", await (await right.Get($"{Base}/vms")).FaultAsync(HttpStatusCode.Unauthorized));
        // The owner, elsewhere, is not locked out.
        using var owner = app.Client(("guessed@internal", "Guessed-pass-1"));
        owner.DefaultRequestHeaders.Add(ClientAddressFilter.Header, "198.51.100.7");
        await (await owner.Get($"{Base}/vms")).XmlAsync(HttpStatusCode.OK);
        Assert.False(await IsLockedOutAsync("guessed"));
    }

    [Fact]
    public async Task TokenEndpoint_FiveWrongPasswords_BlockThatAddressOnlyWithTheSameMessage()
    {
        await AddUserAsync("guessed2", "Guessed-pass-2", Roles.Helpdesk);
        using var anonymous = app.Anonymous(json: true);
        anonymous.DefaultRequestHeaders.Add(ClientAddressFilter.Header, "192.0.2.11");
        for (var i = 0; i < 5; i++)
            await (await anonymous.Post("/ovirt-engine/sso/oauth/token", Form("password", "guessed2@internal", "wrong"))).JsonAsync(HttpStatusCode.Unauthorized);

        var body = await (await anonymous.Post("/ovirt-engine/sso/oauth/token", Form("password", "guessed2@internal", "Guessed-pass-2")))
            .JsonAsync(HttpStatusCode.Unauthorized);
        Assert.Equal("The user name or password is incorrect.", body.GetProperty("error").GetString());
        using var owner = app.Anonymous(json: true);
        owner.DefaultRequestHeaders.Add(ClientAddressFilter.Header, "198.51.100.8");
        await (await owner.Post("/ovirt-engine/sso/oauth/token", Form("password", "guessed2@internal", "Guessed-pass-2"))).JsonAsync(HttpStatusCode.OK);
    }

    [Fact]
    public async Task PortalPage_WithoutSignIn_StillRedirectsToLoginPage()
    {
        using var client = app.Anonymous();
        var response = await client.Get("/vms");

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.StartsWith("/account/login", response.Headers.Location!.PathAndQuery);
    }

    [Fact]
    public async Task PortalPage_WithBasicCredentials_IsNotSignedIn()
    {
        // Basic credentials are for the API only: the pages keep using the sign-in cookie.
        using var client = app.Admin();
        var response = await client.Get("/vms");

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.StartsWith("/account/login", response.Headers.Location!.PathAndQuery);
    }

    private static FormUrlEncodedContent Form(string grant, string user, string password) => new(new Dictionary<string, string>
    {
        ["grant_type"] = grant, ["username"] = user, ["password"] = password, ["scope"] = "ovirt-app-api",
    });

    private async Task AddUserAsync(string name, string password, string role)
    {
        using var scope = app.Services.CreateScope();
        await PortalApiFactory.CreateUserAsync(scope.ServiceProvider.GetRequiredService<UserManager<PortalUser>>(), name, password, role);
    }

    private async Task<bool> IsLockedOutAsync(string name)
    {
        using var scope = app.Services.CreateScope();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<PortalUser>>();
        return await users.IsLockedOutAsync((await users.FindByNameAsync(name))!);
    }
}
