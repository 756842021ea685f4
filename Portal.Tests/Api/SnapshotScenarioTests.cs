using System.Net;
using System.Text.Json;
using System.Xml.Linq;
using static Portal.Tests.Api.ApiTestExtensions;

namespace Portal.Tests.Api;

/// <summary>Whole workflows as an oVirt client runs them, each against its own fresh portal.</summary>
public sealed class SnapshotScenarioTests
{
    private static readonly Guid WebFrontend = PortalApiFactory.WebFrontend;

    /// <summary>oVirt system-test style: snapshot with memory, preview with restore_memory, run from memory, commit.</summary>
    [Fact]
    public async Task Snapshots_OvirtSystemTestScenarioInXml_RunsFromMemoryAndCommits()
    {
        await using var app = new PortalApiFactory();
        await app.InitializeAsync();
        using var client = app.Admin();

        var created = await (await client.Post($"{Vm(WebFrontend)}/snapshots",
            Xml("<snapshot><description>before upgrade</description><persist_memorystate>true</persist_memorystate></snapshot>")))
            .CreatedXmlAsync();
        Assert.Contains(created.Text("snapshot_status"), new[] { "locked", "ok" });
        var href = (string)created.Attribute("href")!;

        var snapshot = await PollAsync(async () => await (await client.Get(href)).XmlAsync(HttpStatusCode.OK),
            s => s.Text("snapshot_status") == "ok", "the snapshot to be ok");
        Assert.Equal("true", snapshot.Text("persist_memorystate"));
        Assert.Equal("regular", snapshot.Text("snapshot_type"));

        await (await client.Post($"{Vm(WebFrontend)}/stop", Action())).XmlAsync(HttpStatusCode.OK);
        Assert.Equal("down", (await (await client.Get(Vm(WebFrontend))).XmlAsync(HttpStatusCode.OK)).Text("status"));

        var preview = await (await client.Post($"{Vm(WebFrontend)}/previewsnapshot",
            Action($"<snapshot id=\"{created.Attribute("id")!.Value}\"/><restore_memory>true</restore_memory>"))).XmlAsync(HttpStatusCode.OK);
        Assert.Equal("complete", preview.Text("status"));
        Assert.Equal("in_preview", (await (await client.Get(href)).XmlAsync(HttpStatusCode.OK)).Text("snapshot_status"));

        await (await client.Post($"{Vm(WebFrontend)}/start", Action())).XmlAsync(HttpStatusCode.OK);
        Assert.Equal("up", (await (await client.Get(Vm(WebFrontend))).XmlAsync(HttpStatusCode.OK)).Text("status"));
        var events = await (await client.Get($"{Base}/events?max=5")).XmlAsync(HttpStatusCode.OK);
        Assert.Contains(events.Elements("event"), e => e.Text("description").Contains("restored from memory"));

        await (await client.Post($"{Vm(WebFrontend)}/stop", Action())).XmlAsync(HttpStatusCode.OK);
        await (await client.Post($"{Vm(WebFrontend)}/commitsnapshot", Action())).XmlAsync(HttpStatusCode.OK);

        var snapshots = await (await client.Get($"{Vm(WebFrontend)}/snapshots")).XmlAsync(HttpStatusCode.OK);
        Assert.Equal("ok", snapshots.Elements("snapshot").Single(s => s.Attribute("href")!.Value == href).Text("snapshot_status"));
        Assert.DoesNotContain(snapshots.Elements("snapshot"), s => s.Text("snapshot_type") == "preview");
    }

    [Fact]
    public async Task Snapshots_OvirtSystemTestScenarioInJson_RunsFromMemoryAndCommits()
    {
        await using var app = new PortalApiFactory();
        await app.InitializeAsync();
        using var client = await app.BearerAsync("admin@internal", PortalApiFactory.AdminPassword, json: true);

        var created = await (await client.Post($"{Vm(WebFrontend)}/snapshots",
            Json("""{"description": "before upgrade", "persist_memorystate": true}"""))).CreatedJsonAsync();
        var href = created.GetProperty("href").GetString()!;
        var id = created.GetProperty("id").GetString()!;

        var snapshot = await PollAsync(async () => await (await client.Get(href)).JsonAsync(HttpStatusCode.OK),
            s => s.GetProperty("snapshot_status").GetString() == "ok", "the snapshot to be ok");
        Assert.True(snapshot.GetProperty("persist_memorystate").GetBoolean());
        Assert.EndsWith("+00:00", snapshot.GetProperty("date").GetString());

        await (await client.Post($"{Vm(WebFrontend)}/stop", Json("{}"))).JsonAsync(HttpStatusCode.OK);
        await (await client.Post($"{Vm(WebFrontend)}/previewsnapshot",
            Json($$"""{"snapshot": {"id": "{{id}}"}, "restore_memory": true}"""))).JsonAsync(HttpStatusCode.OK);
        Assert.Equal("in_preview", (await (await client.Get(href)).JsonAsync(HttpStatusCode.OK)).GetProperty("snapshot_status").GetString());

        await (await client.Post($"{Vm(WebFrontend)}/start", Json("{}"))).JsonAsync(HttpStatusCode.OK);
        Assert.Equal("up", (await (await client.Get(Vm(WebFrontend))).JsonAsync(HttpStatusCode.OK)).GetProperty("status").GetString());

        await (await client.Post($"{Vm(WebFrontend)}/stop", Json("{}"))).JsonAsync(HttpStatusCode.OK);
        await (await client.Post($"{Vm(WebFrontend)}/commitsnapshot", Json("{}"))).JsonAsync(HttpStatusCode.OK);
        var list = await (await client.Get($"{Vm(WebFrontend)}/snapshots")).JsonAsync(HttpStatusCode.OK);
        Assert.Equal("ok", list.GetProperty("snapshot").EnumerateArray().Single(s => s.GetProperty("id").GetString() == id).GetProperty("snapshot_status").GetString());
    }

    [Fact]
    public async Task CreateSnapshot_WithoutMemory_IsOkWithoutMemory()
    {
        await using var app = await StartAsync();
        using var client = app.Admin();
        var href = await CreateAsync(client, PortalApiFactory.DbPrimary, "<snapshot><description>disks only</description><persist_memorystate>false</persist_memorystate></snapshot>");

        var snapshot = await OkAsync(client, href);
        Assert.Equal("false", snapshot.Text("persist_memorystate"));
        Assert.Equal(0, (await app.CountRowsAsync()).MemoryVolumes);
    }

    [Fact]
    public async Task CreateSnapshot_PersistMemoryStateOmitted_SavesMemoryAsOvirt4Does()
    {
        await using var app = await StartAsync();
        using var client = app.Admin();
        var href = await CreateAsync(client, PortalApiFactory.DbPrimary, "<snapshot><description>defaults</description></snapshot>");

        Assert.Equal("true", (await OkAsync(client, href)).Text("persist_memorystate"));
        Assert.Equal(1, (await app.CountRowsAsync()).MemoryVolumes);
    }

    [Fact]
    public async Task CreateSnapshot_InClusterBelow33_IgnoresMemoryAndWarns()
    {
        await using var app = await StartAsync();
        using var client = app.Admin();
        var response = await client.Post($"{Vm(PortalApiFactory.LegacyErp)}/snapshots",
            Xml("<snapshot><description>legacy</description><persist_memorystate>true</persist_memorystate></snapshot>"));
        var created = await response.CreatedXmlAsync();

        var warning = Assert.Single(response.Headers.GetValues("Warning"));
        Assert.Contains("compatibility 3.2", warning);
        Assert.Contains("memory snapshots need 3.3", warning);
        Assert.Equal("false", (await OkAsync(client, (string)created.Attribute("href")!)).Text("persist_memorystate"));
    }

    [Fact]
    public async Task CreateSnapshot_WithExpect201Created_AnswersWithTheFinishedSnapshot()
    {
        // On a real socket: Kestrel must pass the unusual Expect value through rather than answer 417.
        await using var app = PortalApiFactory.OnKestrel();
        await app.InitializeAsync();
        using var client = app.Admin(json: true);
        using var request = new HttpRequestMessage(HttpMethod.Post, $"{Vm(PortalApiFactory.DbPrimary)}/snapshots")
        {
            Content = Json("""{"snapshot": {"description": "waited for", "persist_memorystate": "true"}}"""),
        };
        request.Headers.TryAddWithoutValidation("Expect", "201-created");
        var response = await client.SendAsync(request, Ct);

        var snapshot = await response.JsonAsync(HttpStatusCode.Created);
        Assert.Equal("ok", snapshot.GetProperty("snapshot_status").GetString());
        Assert.True(snapshot.GetProperty("persist_memorystate").GetBoolean());
        Assert.Equal(snapshot.GetProperty("href").GetString(), response.Headers.Location!.OriginalString);
    }

    [Fact]
    public async Task RemoveSnapshot_OfStoppedVm_RemovesItAndItsMemory()
    {
        await using var app = await StartAsync();
        using var client = app.Admin();
        var href = await CreateAsync(client, PortalApiFactory.WebFrontend, "<snapshot><description>to remove</description></snapshot>");
        await OkAsync(client, href);
        await (await client.Post($"{Vm(PortalApiFactory.WebFrontend)}/stop", Action())).XmlAsync(HttpStatusCode.OK);
        Assert.Equal(1, (await app.CountRowsAsync()).MemoryVolumes);

        var removed = await client.Delete(href);

        Assert.True(removed.StatusCode == HttpStatusCode.OK, await removed.Content.ReadAsStringAsync(Ct));
        await (await client.Get(href)).FaultAsync(HttpStatusCode.NotFound);
        Assert.Equal(0, (await app.CountRowsAsync()).MemoryVolumes);
    }

    [Fact]
    public async Task RestoreSnapshot_AsAdmin_PreviewsAndCommitsInOneStepAndRunsFromMemory()
    {
        await using var app = await StartAsync();
        using var client = app.Admin();
        var href = await CreateAsync(client, PortalApiFactory.WebFrontend, "<snapshot><description>restore me</description></snapshot>");
        await OkAsync(client, href);
        await (await client.Post($"{Vm(PortalApiFactory.WebFrontend)}/stop", Action())).XmlAsync(HttpStatusCode.OK);

        await (await client.Post($"{href}/restore", Action())).XmlAsync(HttpStatusCode.OK);

        var snapshots = (await (await client.Get($"{Vm(PortalApiFactory.WebFrontend)}/snapshots")).XmlAsync(HttpStatusCode.OK)).Elements("snapshot").ToList();
        Assert.All(snapshots, s => Assert.Equal("ok", s.Text("snapshot_status")));
        Assert.DoesNotContain(snapshots, s => s.Text("snapshot_type") == "preview");
        Assert.Equal("true", snapshots.Single(s => s.Text("snapshot_type") == "active").Text("persist_memorystate"));
        await (await client.Post($"{Vm(PortalApiFactory.WebFrontend)}/start", Action())).XmlAsync(HttpStatusCode.OK);
        var newest = (await (await client.Get($"{Base}/events?max=1")).XmlAsync(HttpStatusCode.OK)).Element("event")!;
        Assert.Contains("restored from memory", newest.Text("description"));
    }

    [Fact]
    public async Task PreviewSnapshot_RestoreMemoryFalse_BootsFreshAndUndoBringsBackTheVm()
    {
        await using var app = await StartAsync();
        using var client = app.Admin(json: true);
        var created = await (await client.Post($"{Vm(PortalApiFactory.WebFrontend)}/snapshots", Json("""{"description": "no restore"}""")))
            .CreatedJsonAsync();
        var href = created.GetProperty("href").GetString()!;
        await PollAsync(async () => await (await client.Get(href)).JsonAsync(HttpStatusCode.OK), s => s.GetProperty("snapshot_status").GetString() == "ok", "ok");
        await (await client.Post($"{Vm(PortalApiFactory.WebFrontend)}/stop", null)).JsonAsync(HttpStatusCode.OK);

        await (await client.Post($"{Vm(PortalApiFactory.WebFrontend)}/previewsnapshot",
            Json($$"""{"snapshot": {"id": "{{created.GetProperty("id").GetString()}}"}, "restore_memory": false}"""))).JsonAsync(HttpStatusCode.OK);
        var list = await (await client.Get($"{Vm(PortalApiFactory.WebFrontend)}/snapshots")).JsonAsync(HttpStatusCode.OK);
        var active = list.GetProperty("snapshot").EnumerateArray().Single(s => s.GetProperty("snapshot_type").GetString() == "active");
        Assert.False(active.GetProperty("persist_memorystate").GetBoolean());
        await (await client.Post($"{Vm(PortalApiFactory.WebFrontend)}/start", null)).JsonAsync(HttpStatusCode.OK);
        var started = (await (await client.Get($"{Base}/events?max=1")).JsonAsync(HttpStatusCode.OK)).GetProperty("event")[0];
        Assert.Equal("VM web-frontend started.", started.GetProperty("description").GetString());

        await (await client.Post($"{Vm(PortalApiFactory.WebFrontend)}/stop", null)).JsonAsync(HttpStatusCode.OK);
        await (await client.Post($"{Vm(PortalApiFactory.WebFrontend)}/undosnapshot", Json("{}"))).JsonAsync(HttpStatusCode.OK);
        Assert.Equal("ok", (await (await client.Get(href)).JsonAsync(HttpStatusCode.OK)).GetProperty("snapshot_status").GetString());
    }

    [Fact]
    public async Task Helpdesk_SnapshotWorkflow_CanPreviewAndUndoButIsRefusedCommitRemoveAndRestore()
    {
        await using var app = await StartAsync();
        using var client = app.Helpdesk();
        var vm = Vm(PortalApiFactory.WebFrontend);
        var href = await CreateAsync(client, PortalApiFactory.WebFrontend, "<snapshot><description>helpdesk</description><persist_memorystate>true</persist_memorystate></snapshot>");
        Assert.Equal("true", (await OkAsync(client, href)).Text("persist_memorystate"));
        await (await client.Post($"{vm}/stop", Action())).XmlAsync(HttpStatusCode.OK);
        await (await client.Post($"{vm}/previewsnapshot", Action($"<snapshot id=\"{href.Split('/')[^1]}\"/>"))).XmlAsync(HttpStatusCode.OK);

        var rows = await app.CountRowsAsync();
        Assert.Contains("needs the Admin role", await (await client.Post($"{vm}/commitsnapshot", Action())).FaultAsync(HttpStatusCode.Forbidden));
        Assert.Equal("in_preview", (await (await client.Get(href)).XmlAsync(HttpStatusCode.OK)).Text("snapshot_status"));
        await (await client.Post($"{vm}/undosnapshot", Action())).XmlAsync(HttpStatusCode.OK);
        rows = await app.CountRowsAsync();

        await (await client.Delete(href)).FaultAsync(HttpStatusCode.Forbidden);
        await (await client.Post($"{href}/restore", Action())).FaultAsync(HttpStatusCode.Forbidden);
        Assert.Equal(rows, await app.CountRowsAsync());
        Assert.Equal("ok", (await (await client.Get(href)).XmlAsync(HttpStatusCode.OK)).Text("snapshot_status"));
    }

    [Fact]
    public async Task Events_AfterActions_AreNewestFirstAndPagedByMax()
    {
        await using var app = await StartAsync();
        using var client = app.Helpdesk();
        await (await client.Post($"{Vm(PortalApiFactory.BuildAgent)}/start", Action())).XmlAsync(HttpStatusCode.OK);
        await (await client.Post($"{Vm(PortalApiFactory.BuildAgent)}/stop", Action())).XmlAsync(HttpStatusCode.OK);

        var events = (await (await client.Get($"{Base}/events")).XmlAsync(HttpStatusCode.OK)).Elements("event").ToList();
        Assert.Equal(["Stop VM", "Run VM"], events.Take(2).Select(e => e.Text("name")));
        Assert.True(long.Parse(events[0].Text("index")) > long.Parse(events[1].Text("index")));
        Assert.Equal(PortalApiFactory.HelpdeskUser, events[0].Element("user")!.Text("user_name"));
        Assert.Equal("normal", events[0].Text("severity"));
        var one = (await (await client.Get($"{Base}/events?max=1")).XmlAsync(HttpStatusCode.OK)).Elements("event");
        Assert.Equal("Stop VM", Assert.Single(one).Text("name"));
    }

    private static async Task<PortalApiFactory> StartAsync()
    {
        var app = new PortalApiFactory();
        await app.InitializeAsync();
        return app;
    }

    /// <summary>Creates a snapshot: 202 while it is under way, or 201 when it finished before the reply (a quick one without memory).</summary>
    private static async Task<string> CreateAsync(HttpClient client, Guid vm, string body)
    {
        var response = await client.Post($"{Vm(vm)}/snapshots", Xml(body));
        var created = await response.CreatedXmlAsync();
        Assert.Equal((string)created.Attribute("href")!, response.Headers.Location!.OriginalString);
        return (string)created.Attribute("href")!;
    }

    private static Task<XElement> OkAsync(HttpClient client, string href) =>
        PollAsync(async () => await (await client.Get(href)).XmlAsync(HttpStatusCode.OK), s => s.Text("snapshot_status") == "ok", "the snapshot to be ok");
}
