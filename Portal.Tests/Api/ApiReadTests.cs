using System.Net;
using System.Text.Json;
using static Portal.Tests.Api.ApiTestExtensions;

namespace Portal.Tests.Api;

/// <summary>The read side in both formats, against a portal nobody changes.</summary>
public sealed class ApiReadTests(PortalApiFactory app) : IClassFixture<PortalApiFactory>
{
    [Fact]
    public async Task Root_InJson_HasLinksAndProductInfo()
    {
        using var client = app.Admin(json: true);
        var root = await (await client.Get(Base)).JsonAsync(HttpStatusCode.OK);

        Assert.Contains(root.GetProperty("link").EnumerateArray(), l => l.GetProperty("rel").GetString() == "vms"
                                                                          && l.GetProperty("href").GetString() == $"{Base}/vms");
        Assert.Equal(4, root.GetProperty("product_info").GetProperty("version").GetProperty("major").GetInt32());
    }

    [Fact]
    public async Task Vms_InXml_ListEveryDemoVmWithOvirtStatus()
    {
        using var client = app.Admin();
        var vms = await (await client.Get($"{Base}/vms")).XmlAsync(HttpStatusCode.OK);

        Assert.Equal(7, vms.Elements("vm").Count());
        var web = vms.Elements("vm").Single(v => v.Text("name") == "web-frontend");
        Assert.Equal(PortalApiFactory.WebFrontend.ToString(), (string?)web.Attribute("id"));
        Assert.Equal(Vm(PortalApiFactory.WebFrontend), (string?)web.Attribute("href"));
        Assert.Equal("up", web.Text("status"));
        Assert.Equal((1024L * 1024 * 1024).ToString(), web.Text("memory"));
        Assert.NotNull(web.Element("cluster")!.Attribute("href"));
        Assert.Contains(web.Element("actions")!.Elements("link"), l => (string?)l.Attribute("rel") == "previewsnapshot");
        Assert.Equal("down", vms.Elements("vm").Single(v => v.Text("name") == "build-agent").Text("status"));
        Assert.Equal("true", vms.Elements("vm").Single(v => v.Text("name") == "kiosk-stateless").Text("stateless"));
    }

    [Fact]
    public async Task Vms_InJson_AreAnArrayNamedVm()
    {
        using var client = app.Admin(json: true);
        var vms = await (await client.Get($"{Base}/vms")).JsonAsync(HttpStatusCode.OK);

        var web = vms.GetProperty("vm").EnumerateArray().Single(v => v.GetProperty("name").GetString() == "web-frontend");
        Assert.Equal(PortalApiFactory.WebFrontend.ToString(), web.GetProperty("id").GetString());
        Assert.Equal("up", web.GetProperty("status").GetString());
        Assert.Equal(1024L * 1024 * 1024, web.GetProperty("memory").GetInt64());
        Assert.False(web.GetProperty("stateless").GetBoolean());
    }

    [Fact]
    public async Task Vm_ById_ShowsThatVm()
    {
        using var client = app.Admin(json: true);
        var vm = await (await client.Get(Vm(PortalApiFactory.LegacyErp))).JsonAsync(HttpStatusCode.OK);
        Assert.Equal("legacy-erp", vm.GetProperty("name").GetString());
    }

    [Fact]
    public async Task Vm_UnknownId_Answers404Fault()
    {
        using var client = app.Admin();
        var detail = await (await client.Get(Vm(Guid.NewGuid()))).FaultAsync(HttpStatusCode.NotFound);
        Assert.StartsWith("There is no VM with id", detail);
    }

    [Fact]
    public async Task Vm_MalformedId_Answers404Fault()
    {
        using var client = app.Admin(json: true);
        await (await client.Get($"{Base}/vms/not-a-vm")).FaultAsync(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Clusters_ShowCompatibilityVersionMajorMinor()
    {
        using var client = app.Admin();
        var clusters = await (await client.Get($"{Base}/clusters")).XmlAsync(HttpStatusCode.OK);

        var legacy = clusters.Elements("cluster").Single(c => c.Text("name") == "Legacy");
        Assert.Equal(("3", "2"), (legacy.Element("version")!.Text("major"), legacy.Element("version")!.Text("minor")));
        var production = clusters.Elements("cluster").Single(c => c.Text("name") == "Production");
        Assert.Equal(("4", "7"), (production.Element("version")!.Text("major"), production.Element("version")!.Text("minor")));
        var one = await (await client.Get((string)legacy.Attribute("href")!)).XmlAsync(HttpStatusCode.OK);
        Assert.Equal("Legacy", one.Text("name"));
    }

    [Fact]
    public async Task Hosts_ShowTheEmbeddedHostUp()
    {
        using var client = app.Admin(json: true);
        var hosts = await (await client.Get($"{Base}/hosts")).JsonAsync(HttpStatusCode.OK);

        var host = Assert.Single(hosts.GetProperty("host").EnumerateArray());
        Assert.Equal("up", host.GetProperty("status").GetString());
        Assert.DoesNotContain(app.DataDirectory, host.GetRawText());
        var one = await (await client.Get(host.GetProperty("href").GetString()!)).JsonAsync(HttpStatusCode.OK);
        Assert.Equal(host.GetProperty("name").GetString(), one.GetProperty("name").GetString());
    }

    [Fact]
    public async Task StorageDomains_ShowDataAndExportWithFreeSpace()
    {
        using var client = app.Admin();
        var domains = await (await client.Get($"{Base}/storagedomains")).XmlAsync(HttpStatusCode.OK);

        var data = domains.Elements("storage_domain").Single(d => d.Text("name") == "data-file");
        Assert.Equal("data", data.Text("type"));
        Assert.True(long.Parse(data.Text("available")) > 0);
        Assert.Equal("export", domains.Elements("storage_domain").Single(d => d.Text("name") == "export-file").Text("type"));
        await (await client.Get((string)data.Attribute("href")!)).XmlAsync(HttpStatusCode.OK);
    }

    [Fact]
    public async Task Snapshots_OfARunningVm_ShowTheActiveSnapshot()
    {
        using var client = app.Admin();
        var snapshots = await (await client.Get($"{Vm(PortalApiFactory.WebFrontend)}/snapshots")).XmlAsync(HttpStatusCode.OK);

        var active = Assert.Single(snapshots.Elements("snapshot"));
        Assert.Equal("active", active.Text("snapshot_type"));
        Assert.Equal("ok", active.Text("snapshot_status"));
        Assert.Equal("false", active.Text("persist_memorystate"));
        Assert.Matches(OvirtDatePattern, active.Text("date"));
        Assert.Equal(PortalApiFactory.WebFrontend.ToString(), (string?)active.Element("vm")!.Attribute("id"));
        var one = await (await client.Get((string)active.Attribute("href")!)).XmlAsync(HttpStatusCode.OK);
        Assert.Equal((string?)active.Attribute("id"), (string?)one.Attribute("id"));
    }

    /// <summary>oVirt's own format: milliseconds and an offset. The Python SDK refuses seven digits or no offset.</summary>
    public const string OvirtDatePattern = @"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+00:00$";

    [Fact]
    public async Task Dates_InXml_HaveMillisecondsAndAnOffset()
    {
        using var client = app.Admin();
        var root = await (await client.Get(Base)).XmlAsync(HttpStatusCode.OK);
        var snapshot = (await (await client.Get($"{Vm(PortalApiFactory.WebFrontend)}/snapshots")).XmlAsync(HttpStatusCode.OK)).Element("snapshot")!;

        Assert.Matches(OvirtDatePattern, root.Text("time"));
        Assert.Matches(OvirtDatePattern, snapshot.Text("date"));
        var time = DateTimeOffset.Parse(root.Text("time"), System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(time, DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddMinutes(1));
    }

    [Fact]
    public async Task Dates_InJson_HaveMillisecondsAndAnOffset()
    {
        using var client = app.Admin(json: true);
        var root = await (await client.Get(Base)).JsonAsync(HttpStatusCode.OK);
        var snapshots = await (await client.Get($"{Vm(PortalApiFactory.WebFrontend)}/snapshots")).JsonAsync(HttpStatusCode.OK);

        var active = Assert.Single(snapshots.GetProperty("snapshot").EnumerateArray());
        Assert.Matches(OvirtDatePattern, active.GetProperty("date").GetString());
        Assert.Matches(OvirtDatePattern, root.GetProperty("time").GetString());
        var date = DateTimeOffset.Parse(active.GetProperty("date").GetString()!, System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(date, DateTimeOffset.UtcNow.AddHours(-1), DateTimeOffset.UtcNow.AddMinutes(1));
    }

    [Fact]
    public async Task Snapshot_UnknownId_Answers404Fault()
    {
        using var client = app.Admin();
        var detail = await (await client.Get($"{Vm(PortalApiFactory.WebFrontend)}/snapshots/{Guid.NewGuid()}")).FaultAsync(HttpStatusCode.NotFound);
        Assert.Contains("has no snapshot with id", detail);
    }

    [Fact]
    public async Task Snapshot_OfAnotherVm_Answers404FaultAndTheVmsOwnIsFound()
    {
        using var client = app.Admin(json: true);
        var theirs = await (await client.Get($"{Vm(PortalApiFactory.DbPrimary)}/snapshots")).JsonAsync(HttpStatusCode.OK);
        var id = theirs.GetProperty("snapshot")[0].GetProperty("id").GetString();

        var detail = await (await client.Get($"{Vm(PortalApiFactory.WebFrontend)}/snapshots/{id}")).FaultAsync(HttpStatusCode.NotFound);
        Assert.Contains($"has no snapshot with id {id}", detail);
        var own = await (await client.Get($"{Vm(PortalApiFactory.DbPrimary)}/snapshots/{id}")).JsonAsync(HttpStatusCode.OK);
        Assert.Equal(id, own.GetProperty("id").GetString());
    }

    [Fact]
    public async Task Snapshots_OfUnknownVm_Answers404Fault()
    {
        using var client = app.Admin(json: true);
        await (await client.Get($"{Vm(Guid.NewGuid())}/snapshots")).FaultAsync(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Events_WithBadMax_Answers400Fault()
    {
        using var client = app.Admin();
        Assert.Contains("max", await (await client.Get($"{Base}/events?max=lots")).FaultAsync(HttpStatusCode.BadRequest));
        await (await client.Get($"{Base}/events?max=0")).FaultAsync(HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task Event_UnknownId_Answers404Fault()
    {
        using var client = app.Admin();
        await (await client.Get($"{Base}/events/987654")).FaultAsync(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Accept_BothWithJsonPreferred_AnswersJson()
    {
        using var client = app.Admin();
        client.DefaultRequestHeaders.Accept.Clear();
        client.DefaultRequestHeaders.Accept.ParseAdd("application/xml;q=0.5, application/json");
        var root = await (await client.Get(Base)).JsonAsync(HttpStatusCode.OK);
        Assert.Equal(JsonValueKind.Array, root.GetProperty("link").ValueKind);
    }
}
