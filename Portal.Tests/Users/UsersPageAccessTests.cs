using System.Net;
using System.Text.RegularExpressions;
using Portal.Components.Pages.Shared;
using Portal.Tests.Api;
using static Portal.Tests.Api.ApiTestExtensions;

namespace Portal.Tests.Users;

/// <summary>
/// A full page load of /users through the real app's middleware (the sign-in cookie, the page's Authorize attribute):
/// a signed-in Helpdesk user is told they may not manage users, and is not sent back to the login form.
/// </summary>
public sealed partial class UsersPageAccessTests(PortalApiFactory app) : IClassFixture<PortalApiFactory>
{
    [Fact]
    public async Task UsersPage_HelpdeskLoadsIt_RedirectedToAccessDeniedWhichSaysOnlyAdmins()
    {
        using var client = app.Anonymous();
        var cookie = await SignInAsync(client, PortalApiFactory.HelpdeskUser, PortalApiFactory.HelpdeskPassword);

        var users = await GetAsync(client, "/users", cookie);

        Assert.Equal(HttpStatusCode.Redirect, users.StatusCode);
        var location = users.Headers.Location!.OriginalString;
        Assert.StartsWith("/access-denied", new Uri(new Uri("http://portal"), location).AbsolutePath);
        var denied = await GetAsync(client, location, cookie);
        var html = await denied.Content.ReadAsStringAsync(Ct);
        Assert.Equal(HttpStatusCode.OK, denied.StatusCode);
        Assert.Contains(AccessDeniedNotice.UsersMessage, html);
        Assert.DoesNotContain("data-testid=\"login-submit\"", html);
        Assert.DoesNotContain("data-testid=\"users-grid\"", html);
    }

    [Fact]
    public async Task UsersPage_AdminLoadsIt_TheGridAndItsSearchAreServed()
    {
        using var client = app.Anonymous();
        var cookie = await SignInAsync(client, "admin", PortalApiFactory.AdminPassword);

        var users = await GetAsync(client, "/users", cookie);
        var html = await users.Content.ReadAsStringAsync(Ct);

        Assert.Equal(HttpStatusCode.OK, users.StatusCode);
        Assert.Contains("data-testid=\"users-grid\"", html);
        Assert.Contains("data-testid=\"users-search\"", html);
        Assert.Contains("data-testid=\"nav-users\"", html);
        // The rows come from the database once the page is interactive (the grid's ServerData, one page at a time):
        // UsersPageTests and UserAdministrationTests.ListUsersPage_* check them.
    }

    private static async Task<HttpResponseMessage> GetAsync(HttpClient client, string path, string cookie)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Add("Cookie", cookie);
        return await client.SendAsync(request, Ct);
    }

    /// <summary>Signs in through the login form, as a browser does, and returns the sign-in cookie.</summary>
    private static async Task<string> SignInAsync(HttpClient client, string user, string password)
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
