using System.Net;
using System.Text.RegularExpressions;
using Microsoft.Extensions.DependencyInjection;
using Portal.Core.Vms;
using static Portal.Tests.Api.ApiTestExtensions;

namespace Portal.Tests.Api;

/// <summary>
/// The consoles' WebSockets through the real app's middleware: who may open one is decided on the server, from the
/// sign-in cookie, and a page of another site cannot open one with the user's cookie.
/// </summary>
public sealed partial class ConsoleEndpointTests(PortalApiFactory app) : IClassFixture<PortalApiFactory>
{
    private static string Serial(Guid id) => $"/consoles/vms/{id}/serial";

    [Theory]
    [InlineData("serial")]
    [InlineData("vnc")]
    public async Task Console_UserWithoutARole_Forbidden(string kind)
    {
        using var client = app.Anonymous();
        var cookie = await SignInAsync(client, PortalApiFactory.NoRoleUser, PortalApiFactory.NoRolePassword);

        var response = await GetAsync(client, $"/consoles/vms/{PortalApiFactory.WebFrontend}/{kind}", cookie);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal($"Opening a console needs the Admin or Helpdesk role; {PortalApiFactory.NoRoleUser} has neither.", await response.Content.ReadAsStringAsync(Ct));
    }

    [Fact]
    public async Task Console_FromAnotherSitesPage_Forbidden()
    {
        using var client = app.Anonymous();
        var cookie = await SignInAsync(client, "admin", PortalApiFactory.AdminPassword);

        var response = await GetAsync(client, Serial(PortalApiFactory.WebFrontend), cookie, origin: "http://evil.example");

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal("A console opens only from the portal's own pages.", await response.Content.ReadAsStringAsync(Ct));
    }

    [Fact]
    public async Task Console_NotSignedIn_NotOpened()
    {
        using var client = app.Anonymous();

        var response = await GetAsync(client, Serial(PortalApiFactory.WebFrontend), cookie: null);

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.StartsWith("/account/login", response.Headers.Location!.PathAndQuery);
    }

    [Fact]
    public async Task Console_UnknownVm_NotFound()
    {
        using var client = app.Anonymous();
        var cookie = await SignInAsync(client, PortalApiFactory.HelpdeskUser, PortalApiFactory.HelpdeskPassword);

        var response = await GetAsync(client, Serial(Guid.Empty), cookie);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [Fact]
    public async Task SerialConsole_HelpdeskOnTheEmbeddedTestHost_RefusedWithTheReasonAndNotAudited()
    {
        using var client = app.Anonymous();
        var cookie = await SignInAsync(client, PortalApiFactory.HelpdeskUser, PortalApiFactory.HelpdeskPassword);
        var ws = app.Server.CreateWebSocketClient();
        ws.ConfigureRequest = r => r.Headers["Cookie"] = cookie;

        var refused = await Assert.ThrowsAnyAsync<InvalidOperationException>(() =>
            ws.ConnectAsync(new Uri(app.Server.BaseAddress, Serial(PortalApiFactory.WebFrontend)), Ct));

        Assert.Contains("409", refused.Message);
        var audit = await app.Services.GetRequiredService<Portal.Core.PortalQueries>().AuditAsync(50, PortalApiFactory.WebFrontend, ct: Ct);
        Assert.DoesNotContain(audit, e => e.Operation == "Open serial console");
        Assert.Equal(VmConsoles.TestHostMessage, (await app.Services.GetRequiredService<VmConsoles>().DescribeAsync(PortalApiFactory.WebFrontend, Ct)).SerialUnavailable);
    }

    private static async Task<HttpResponseMessage> GetAsync(HttpClient client, string path, string? cookie, string? origin = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        if (cookie is not null) request.Headers.Add("Cookie", cookie);
        if (origin is not null) request.Headers.Add("Origin", origin);
        return await client.SendAsync(request, Ct);
    }

    /// <summary>Signs in through the login form, as a browser does, and returns the sign-in cookie.</summary>
    internal static async Task<string> SignInAsync(HttpClient client, string user, string password)
    {
        var page = await client.Get("/account/login");
        var html = await page.Content.ReadAsStringAsync(Ct);
        var token = AntiforgeryField().Match(html).Groups[1].Value;
        Assert.True(token.Length > 0, html);
        var cookies = page.Headers.GetValues("Set-Cookie").Select(c => c.Split(';')[0]);
        using var post = new HttpRequestMessage(HttpMethod.Post, "/account/login")
        {
            Content = new FormUrlEncodedContent(new Dictionary<string, string>
            {
                ["username"] = user, ["password"] = password, ["returnUrl"] = "/", ["__RequestVerificationToken"] = token,
            }),
        };
        post.Headers.Add("Cookie", string.Join("; ", cookies));
        var signedIn = await client.SendAsync(post, Ct);
        Assert.Equal(HttpStatusCode.Redirect, signedIn.StatusCode);
        return signedIn.Headers.GetValues("Set-Cookie").Single(c => c.StartsWith("portal.auth=")).Split(';')[0];
    }

    [GeneratedRegex("name=\"__RequestVerificationToken\"[^>]*?value=\"([^\"]+)\"")]
    private static partial Regex AntiforgeryField();
}
