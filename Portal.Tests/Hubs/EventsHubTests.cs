using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.RegularExpressions;
using System.Threading.Channels;
using Microsoft.AspNetCore.Http.Connections;
using Microsoft.AspNetCore.SignalR.Client;
using Portal.Hubs;
using Portal.Tests.Api;
using static Portal.Tests.Api.ApiTestExtensions;

namespace Portal.Tests.Hubs;

/// <summary>An outside client on /hubs/events sees what the portal does, whichever way it signed in.</summary>
public sealed partial class EventsHubTests
{
    [Fact]
    public async Task EventsHub_WithBearerToken_PushesTheStatusChangeOfAVmStoppedThroughTheApi()
    {
        await using var app = await StartAsync();
        var token = await app.TokenAsync("admin@internal", PortalApiFactory.AdminPassword);
        await using var hub = Connect(app, o => o.AccessTokenProvider = () => Task.FromResult<string?>(token));
        var statuses = Listen<VmStatusMessage>(hub, EventsHubMessages.VmStatusChanged);
        await hub.StartAsync(Ct);

        using var client = app.Admin();
        await (await client.Post($"{Vm(PortalApiFactory.WebFrontend)}/stop", Action())).XmlAsync(HttpStatusCode.OK);

        var down = await NextAsync(statuses, m => m.VmId == PortalApiFactory.WebFrontend && m.To == "down");
        Assert.Equal("web-frontend", down.VmName);
        Assert.Contains(down.From, new[] { "up", "powering_down" });
    }

    [Fact]
    public async Task EventsHub_OverRealWebSockets_PushesTheStatusChange()
    {
        await using var app = PortalApiFactory.OnKestrel();
        await app.InitializeAsync();
        var token = await app.TokenAsync("admin@internal", PortalApiFactory.AdminPassword);
        await using var hub = new HubConnectionBuilder()
            .WithUrl(new Uri(app.BaseAddress, "hubs/events"), o =>
            {
                o.Transports = HttpTransportType.WebSockets;
                o.SkipNegotiation = true;
                o.AccessTokenProvider = () => Task.FromResult<string?>(token);
            })
            .Build();
        var statuses = Listen<VmStatusMessage>(hub, EventsHubMessages.VmStatusChanged);
        await hub.StartAsync(Ct);

        using var client = app.Admin();
        await (await client.Post($"{Vm(PortalApiFactory.DbPrimary)}/stop", Action())).XmlAsync(HttpStatusCode.OK);

        await NextAsync(statuses, m => m.VmId == PortalApiFactory.DbPrimary && m.To == "down");
    }

    [Fact]
    public async Task EventsHub_WithBasicCredentials_PushesSnapshotLockedThenOkAndTheAuditEntry()
    {
        await using var app = await StartAsync();
        var basic = Convert.ToBase64String(Encoding.UTF8.GetBytes($"{PortalApiFactory.HelpdeskUser}@internal:{PortalApiFactory.HelpdeskPassword}"));
        await using var hub = Connect(app, o => o.Headers["Authorization"] = "Basic " + basic);
        var snapshots = Listen<SnapshotMessage>(hub, EventsHubMessages.SnapshotChanged);
        var audit = Listen<AuditMessage>(hub, EventsHubMessages.AuditAdded);
        await hub.StartAsync(Ct);

        using var client = app.Helpdesk();
        var created = await (await client.Post($"{Vm(PortalApiFactory.WebFrontend)}/snapshots",
            Xml("<snapshot><description>watched</description></snapshot>"))).CreatedXmlAsync();
        var id = Guid.Parse(created.Attribute("id")!.Value);

        await NextAsync(snapshots, m => m.SnapshotId == id && m.Change == "locked");
        await NextAsync(snapshots, m => m.SnapshotId == id && m.Change == "ok");
        var completed = await NextAsync(audit, m => m.Operation == "Create snapshot" && m.Description.Contains("has been completed"));
        Assert.Equal(PortalApiFactory.HelpdeskUser, completed.User);
        Assert.Equal("normal", completed.Severity);
    }

    [Fact]
    public async Task EventsHub_WithThePortalSignInCookie_Connects()
    {
        await using var app = await StartAsync();
        var cookie = await SignInAsync(app, "admin", PortalApiFactory.AdminPassword);
        await using var hub = Connect(app, o => o.Headers["Cookie"] = cookie);
        var statuses = Listen<VmStatusMessage>(hub, EventsHubMessages.VmStatusChanged);
        await hub.StartAsync(Ct);

        using var client = app.Admin();
        await (await client.Post($"{Vm(PortalApiFactory.BuildAgent)}/start", Action())).XmlAsync(HttpStatusCode.OK);

        await NextAsync(statuses, m => m.VmId == PortalApiFactory.BuildAgent && m.To == "up");
    }

    [Fact]
    public async Task EventsHub_Anonymous_IsRefusedWith401()
    {
        await using var app = await StartAsync();
        await using var hub = Connect(app, _ => { });

        var error = await Assert.ThrowsAsync<HttpRequestException>(() => hub.StartAsync(Ct));
        Assert.Equal(HttpStatusCode.Unauthorized, error.StatusCode);
    }

    [Fact]
    public async Task EventsHub_UserWithoutRole_IsRefusedWith403()
    {
        await using var app = await StartAsync();
        var token = await app.TokenAsync(PortalApiFactory.NoRoleUser, PortalApiFactory.NoRolePassword);
        await using var hub = Connect(app, o => o.AccessTokenProvider = () => Task.FromResult<string?>(token));

        var error = await Assert.ThrowsAsync<HttpRequestException>(() => hub.StartAsync(Ct));
        Assert.Equal(HttpStatusCode.Forbidden, error.StatusCode);
    }

    private static async Task<PortalApiFactory> StartAsync()
    {
        var app = new PortalApiFactory();
        await app.InitializeAsync();
        return app;
    }

    /// <summary>Long polling through the in-memory test server (it has no real sockets).</summary>
    private static HubConnection Connect(PortalApiFactory app, Action<Microsoft.AspNetCore.Http.Connections.Client.HttpConnectionOptions> configure) =>
        new HubConnectionBuilder()
            .WithUrl(new Uri(app.Server.BaseAddress, "hubs/events"), o =>
            {
                o.HttpMessageHandlerFactory = _ => app.Server.CreateHandler();
                o.Transports = HttpTransportType.LongPolling;
                configure(o);
            })
            .Build();

    private static ChannelReader<T> Listen<T>(HubConnection hub, string method)
    {
        var channel = Channel.CreateUnbounded<T>();
        hub.On<T>(method, m => channel.Writer.TryWrite(m));
        return channel.Reader;
    }

    /// <summary>Waits for the first message that matches, skipping the others.</summary>
    private static async Task<T> NextAsync<T>(ChannelReader<T> reader, Func<T, bool> match)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(30));
        await foreach (var m in reader.ReadAllAsync(timeout.Token))
            if (match(m)) return m;
        throw new InvalidOperationException("The hub connection closed.");
    }

    /// <summary>Signs in through the login form, as a browser does, and returns the cookie header.</summary>
    private static async Task<string> SignInAsync(PortalApiFactory app, string user, string password)
    {
        using var client = app.Anonymous();
        var page = await client.Get("/account/login");
        var html = await page.Content.ReadAsStringAsync(Ct);
        var token = AntiforgeryField().Match(html).Groups[1].Value;
        Assert.True(token.Length > 0, html);
        var cookies = page.Headers.GetValues("Set-Cookie").Select(c => c.Split(';')[0]).ToList();
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
        var auth = signedIn.Headers.GetValues("Set-Cookie").Single(c => c.StartsWith("portal.auth="));
        return auth.Split(';')[0];
    }

    [GeneratedRegex("name=\"__RequestVerificationToken\"[^>]*?value=\"([^\"]+)\"")]
    private static partial Regex AntiforgeryField();
}
