using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Portal.Core;
using Portal.Core.Snapshots;
using static Portal.Tests.Api.ApiTestExtensions;

namespace Portal.Tests.Api;

/// <summary>
/// Every endpoint × every role. Changing requests are chosen so that a caller the role check lets through is then
/// refused by the command's own validation (a running VM cannot be previewed, say): the status shows the role
/// decision, and nothing changes. Helpdesk is refused (403) exactly commit, remove and restore.
/// </summary>
public sealed class RoleMatrixTests(PortalApiFactory app) : IClassFixture<PortalApiFactory>
{
    private sealed record Endpoint(HttpMethod Method, string Path, string? Body, HttpStatusCode Admin, HttpStatusCode Helpdesk);

    private static readonly string Web = Vm(PortalApiFactory.WebFrontend);
    private static readonly string Agent = Vm(PortalApiFactory.BuildAgent);
    private const HttpStatusCode Ok = HttpStatusCode.OK, Conflict = HttpStatusCode.Conflict, Forbidden = HttpStatusCode.Forbidden;

    private static readonly Dictionary<string, Endpoint> Endpoints = new()
    {
        ["GET api root"] = new(HttpMethod.Get, Base, null, Ok, Ok),
        ["GET vms"] = new(HttpMethod.Get, $"{Base}/vms", null, Ok, Ok),
        ["GET vm"] = new(HttpMethod.Get, Web, null, Ok, Ok),
        ["GET clusters"] = new(HttpMethod.Get, $"{Base}/clusters", null, Ok, Ok),
        ["GET cluster"] = new(HttpMethod.Get, $"{Base}/clusters/{{cluster}}", null, Ok, Ok),
        ["GET hosts"] = new(HttpMethod.Get, $"{Base}/hosts", null, Ok, Ok),
        ["GET host"] = new(HttpMethod.Get, $"{Base}/hosts/{{host}}", null, Ok, Ok),
        ["GET storagedomains"] = new(HttpMethod.Get, $"{Base}/storagedomains", null, Ok, Ok),
        ["GET storagedomain"] = new(HttpMethod.Get, $"{Base}/storagedomains/{{domain}}", null, Ok, Ok),
        ["GET storagedomain vms"] = new(HttpMethod.Get, $"{Base}/storagedomains/{{domain}}/vms", null, Ok, Ok),
        ["GET events"] = new(HttpMethod.Get, $"{Base}/events", null, Ok, Ok),
        ["GET event"] = new(HttpMethod.Get, $"{Base}/events/999999", null, HttpStatusCode.NotFound, HttpStatusCode.NotFound),
        ["GET snapshots"] = new(HttpMethod.Get, $"{Web}/snapshots", null, Ok, Ok),
        ["GET snapshot"] = new(HttpMethod.Get, $"{Web}/snapshots/{{active}}", null, Ok, Ok),
        ["POST start"] = new(HttpMethod.Post, $"{Web}/start", "<action/>", Conflict, Conflict),
        ["POST stop"] = new(HttpMethod.Post, $"{Agent}/stop", "<action/>", Conflict, Conflict),
        ["POST shutdown"] = new(HttpMethod.Post, $"{Agent}/shutdown", "<action/>", Conflict, Conflict),
        ["POST snapshots"] = new(HttpMethod.Post, $"{Web}/snapshots", "<snapshot><description> </description></snapshot>", HttpStatusCode.BadRequest, HttpStatusCode.BadRequest),
        ["DELETE snapshot"] = new(HttpMethod.Delete, $"{Web}/snapshots/{{active}}", null, Conflict, Forbidden),
        ["POST previewsnapshot"] = new(HttpMethod.Post, $"{Web}/previewsnapshot", "<action><snapshot id=\"{active}\"/></action>", Conflict, Conflict),
        ["POST commitsnapshot"] = new(HttpMethod.Post, $"{Agent}/commitsnapshot", "<action/>", Conflict, Forbidden),
        ["POST undosnapshot"] = new(HttpMethod.Post, $"{Agent}/undosnapshot", "<action/>", Conflict, Conflict),
        ["POST restore"] = new(HttpMethod.Post, $"{Web}/snapshots/{{active}}/restore", "<action/>", Conflict, Forbidden),
    };

    public static TheoryData<string, string> Cases()
    {
        var data = new TheoryData<string, string>();
        foreach (var endpoint in Endpoints.Keys)
        foreach (var role in new[] { "Admin", "Helpdesk", "NoRole", "Anonymous" })
            data.Add(endpoint, role);
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Endpoint_ByRole_IsAllowedOrRefusedAsTheMatrixSays(string endpoint, string role)
    {
        var e = Endpoints[endpoint];
        var expected = role switch
        {
            "Admin" => e.Admin,
            "Helpdesk" => e.Helpdesk,
            "NoRole" => HttpStatusCode.Forbidden,
            _ => HttpStatusCode.Unauthorized,
        };
        using var client = role switch
        {
            "Admin" => app.Admin(),
            "Helpdesk" => app.Helpdesk(),
            "NoRole" => app.Client((PortalApiFactory.NoRoleUser + "@internal", PortalApiFactory.NoRolePassword)),
            _ => app.Anonymous(),
        };
        var before = await app.CountRowsAsync();

        using var request = new HttpRequestMessage(e.Method, await ResolveAsync(e.Path));
        if (e.Body is not null) request.Content = Xml(await ResolveAsync(e.Body));
        var response = await client.SendAsync(request, Ct);

        if (expected == Ok) await response.XmlAsync(Ok);
        else await response.FaultAsync(expected);
        Assert.Equal(before, await app.CountRowsAsync());
    }

    private async Task<string> ResolveAsync(string template)
    {
        if (!template.Contains('{')) return template;
        var q = app.Services.GetRequiredService<PortalQueries>();
        var active = (await q.SnapshotsAsync(PortalApiFactory.WebFrontend, Ct)).Single(s => s.Type == SnapshotType.Active);
        return template
            .Replace("{active}", active.Id.ToString())
            .Replace("{cluster}", (await q.ClustersAsync(Ct))[0].Id.ToString())
            .Replace("{host}", (await q.HostsAsync(Ct))[0].Id.ToString())
            .Replace("{domain}", (await q.StorageDomainsAsync(Ct))[0].Id.ToString());
    }
}
