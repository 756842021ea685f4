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
            .XmlAsync(HttpStatusCode.Accepted);
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
            Json("""{"description": "before upgrade", "persist_memorystate": true}"""))).JsonAsync(HttpStatusCode.Accepted);
        var href = created.GetProperty("href").GetString()!;
        var id = created.GetProperty("id").GetString()!;

        var snapshot = await PollAsync(async () => await (await client.Get(href)).JsonAsync(HttpStatusCode.OK),
            s => s.GetProperty("snapshot_status").GetString() == "ok", "the snapshot to be ok");
        Assert.True(snapshot.GetProperty("persist_memorystate").GetBoolean());
        Assert.Equal(JsonValueKind.Number, snapshot.GetProperty("date").ValueKind);

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
}
