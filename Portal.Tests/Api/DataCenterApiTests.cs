using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Portal.Core;
using static Portal.Tests.Api.ApiTestExtensions;

namespace Portal.Tests.Api;

/// <summary>Clone, remove, export, import, storage domains and hosts through the API, in oVirt's shapes.</summary>
public sealed class DataCenterApiTests
{
    private static readonly Guid WebFrontend = PortalApiFactory.WebFrontend;
    private static readonly Guid BuildAgent = PortalApiFactory.BuildAgent;

    [Fact]
    public async Task Clone_FromAMemorySnapshot_Answers201WithTheVmAndAWarningThatTheMemoryIsDiscarded()
    {
        await using var app = new PortalApiFactory();
        await app.InitializeAsync();
        using var client = app.Admin();
        var snapshot = await (await client.Post($"{Vm(WebFrontend)}/snapshots", Xml("<snapshot><description>s1</description></snapshot>"))).CreatedXmlAsync();
        var sid = snapshot.Attribute("id")!.Value;
        await PollAsync(async () => await (await client.Get($"{Vm(WebFrontend)}/snapshots/{sid}")).XmlAsync(HttpStatusCode.OK),
            s => s.Text("snapshot_status") == "ok", "the snapshot to be ok");

        var reply = await client.Post($"{Base}/vms", Xml($"<vm><name>web-copy</name><snapshots><snapshot id=\"{sid}\"/></snapshots></vm>"));

        Assert.Equal(HttpStatusCode.Created, reply.StatusCode);
        Assert.Contains(reply.Headers.GetValues("Warning"), w => w.Contains("memory will be discarded"));
        var vm = await reply.XmlAsync(HttpStatusCode.Created);
        Assert.Equal(("web-copy", "down"), (vm.Text("name"), vm.Text("status")));
        Assert.Contains(await app.Services.GetRequiredService<PortalQueries>().VmsAsync(Ct), v => v.Name == "web-copy");
    }

    [Fact]
    public async Task Clone_WithoutASnapshot_Answers400SayingTemplatesAreNotSupported()
    {
        await using var app = new PortalApiFactory();
        await app.InitializeAsync();
        using var client = app.Admin();

        var detail = await (await client.Post($"{Base}/vms", Xml("<vm><name>x</name><template name=\"Blank\"/></vm>"))).FaultAsync(HttpStatusCode.BadRequest);

        Assert.Contains("templates are not supported", detail);
    }

    [Fact]
    public async Task ExportRemoveImport_InJson_TheVmComesBackWithItsMemorySnapshot()
    {
        await using var app = new PortalApiFactory();
        await app.InitializeAsync();
        using var client = app.Admin(json: true);
        await (await client.Post($"{Vm(WebFrontend)}/snapshots", Json("""{"description": "s1", "persist_memorystate": true}"""))).CreatedJsonAsync();
        var queries = app.Services.GetRequiredService<PortalQueries>();
        await PollAsync(() => queries.SnapshotsAsync(WebFrontend, Ct), s => s.All(x => x.Status == Core.Snapshots.SnapshotStatus.Ok) && s.Count == 2, "the snapshot to be ok");
        await (await client.Post($"{Vm(WebFrontend)}/stop", Json("{}"))).JsonAsync(HttpStatusCode.OK);

        await (await client.Post($"{Vm(WebFrontend)}/export", Json("""{"storage_domain": {"name": "export-file"}}"""))).JsonAsync(HttpStatusCode.OK);
        Assert.Equal(HttpStatusCode.OK, (await client.Delete(Vm(WebFrontend))).StatusCode);
        var export = (await queries.StorageDomainsAsync(Ct)).Single(d => d.Name == "export-file").Id;
        await (await client.Post($"{Base}/storagedomains/{export}/vms/{WebFrontend}/import", Json("""{"storage_domain": {"name": "data-file"}}""")))
            .JsonAsync(HttpStatusCode.OK);

        var snapshots = await queries.SnapshotsAsync(WebFrontend, Ct);
        Assert.Contains(snapshots, s => s.Description == "s1" && s.HasMemory);
    }

    [Fact]
    public async Task ExportDomainVms_ListedByNameWithImport_ADataDomainListsNone_AndImportTakesTheClusterByName()
    {
        await using var app = new PortalApiFactory();
        await app.InitializeAsync();
        using var client = app.Admin();
        var queries = app.Services.GetRequiredService<PortalQueries>();
        var domains = await queries.StorageDomainsAsync(Ct);
        var (export, data) = (domains.Single(d => d.Name == "export-file").Id, domains.Single(d => d.Name == "data-file").Id);
        foreach (var vm in new[] { BuildAgent, PortalApiFactory.WebFrontend })
        {
            if (vm == WebFrontend) await (await client.Post($"{Vm(vm)}/stop", Action(""))).XmlAsync(HttpStatusCode.OK);
            await (await client.Post($"{Vm(vm)}/export", Action("<storage_domain name=\"export-file\"/>"))).XmlAsync(HttpStatusCode.OK);
        }

        var listed = await (await client.Get($"{Base}/storagedomains/{export}/vms")).XmlAsync(HttpStatusCode.OK);

        var vms = listed.Elements("vm").ToList();
        Assert.Equal(["build-agent", "web-frontend"], vms.Select(v => v.Text("name")));
        var web = vms[1];
        Assert.Equal(($"{Base}/storagedomains/{export}/vms/{WebFrontend}", WebFrontend.ToString()), (web.Attribute("href")!.Value, web.Attribute("id")!.Value));
        Assert.Equal(("down", (1024L << 20).ToString(), "false"), (web.Text("status"), web.Text("memory"), web.Text("stateless")));
        Assert.Equal(export.ToString(), web.Element("storage_domain")!.Attribute("id")!.Value);
        Assert.Equal($"{Base}/storagedomains/{export}/vms/{WebFrontend}/import",
            web.Element("actions")!.Elements("link").Single(l => l.Attribute("rel")!.Value == "import").Attribute("href")!.Value);
        Assert.Equal(["build-agent"], (await (await client.Get($"{Base}/storagedomains/{export}/vms?max=1")).XmlAsync(HttpStatusCode.OK)).Elements("vm").Select(v => v.Text("name")));
        Assert.Equal("web-frontend", (await (await client.Get($"{Base}/storagedomains/{export}/vms/{WebFrontend}")).XmlAsync(HttpStatusCode.OK)).Text("name"));
        Assert.Contains((await (await client.Get($"{Base}/storagedomains/{export}")).XmlAsync(HttpStatusCode.OK)).Elements("link"),
            l => l.Attribute("rel")!.Value == "vms");
        // A data domain lists none here (as oVirt); an id not on the domain, or not an id, is a 404.
        Assert.Empty((await (await client.Get($"{Base}/storagedomains/{data}/vms")).XmlAsync(HttpStatusCode.OK)).Elements("vm"));
        await (await client.Get($"{Base}/storagedomains/{export}/vms/{Guid.NewGuid()}")).FaultAsync(HttpStatusCode.NotFound);
        await (await client.Get($"{Base}/storagedomains/{export}/vms/not-an-id")).FaultAsync(HttpStatusCode.NotFound);

        // Imported as a clone into the cluster named, as oVirt's import scripts name it.
        await (await client.Post($"{Base}/storagedomains/{export}/vms/{BuildAgent}/import",
            Action("<storage_domain name=\"data-file\"/><cluster><name>Production</name></cluster><clone>true</clone><vm><name>agent-copy</name></vm>")))
            .XmlAsync(HttpStatusCode.OK);
        var copy = (await queries.VmsAsync(Ct)).Single(v => v.Name == "agent-copy");
        Assert.Equal("Production", copy.Cluster);
        await (await client.Post($"{Base}/storagedomains/{export}/vms/{BuildAgent}/import",
            Action("<storage_domain name=\"data-file\"/><cluster><name>Nowhere</name></cluster><clone>true</clone>"))).FaultAsync(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task StorageDomainAndHost_AddedAndRemoved_Answer201ThenOk()
    {
        await using var app = new PortalApiFactory();
        await app.InitializeAsync();
        using var client = app.Admin();
        var dir = Path.Combine(Path.GetTempPath(), "portal-api-sd-" + Guid.NewGuid().ToString("N"));
        var node = Core.Hosts.DemoNode.WriteNode(Path.Combine(Path.GetTempPath(), "portal-api-host-" + Guid.NewGuid().ToString("N"), "node.xml"), []);

        var sd = await (await client.Post($"{Base}/storagedomains",
            Xml($"<storage_domain><name>data2</name><type>data</type><storage><type>localfs</type><path>{dir}</path></storage></storage_domain>"))).XmlAsync(HttpStatusCode.Created);
        var host = await (await client.Post($"{Base}/hosts", Xml($"<host><name>other</name><address>{node}</address></host>"))).XmlAsync(HttpStatusCode.Created);

        Assert.Equal("data2", sd.Text("name"));
        Assert.Equal("other", host.Text("name"));
        Assert.Equal(HttpStatusCode.OK, (await client.Delete($"{Base}/storagedomains/{sd.Attribute("id")!.Value}?destroy_pool=true")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.Delete($"{Base}/hosts/{host.Attribute("id")!.Value}")).StatusCode);
        Assert.DoesNotContain(await app.Services.GetRequiredService<PortalQueries>().StorageDomainsAsync(Ct), d => d.Name == "data2");
    }

    [Fact]
    public async Task DataCenterOperations_Helpdesk_Answer403AndChangeNothing()
    {
        await using var app = new PortalApiFactory();
        await app.InitializeAsync();
        using var client = app.Helpdesk();

        Assert.Equal(HttpStatusCode.Forbidden, (await client.Delete(Vm(BuildAgent))).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await client.Post($"{Base}/hosts", Xml("<host><name>h</name><address>test:///x</address></host>"))).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await client.Post($"{Vm(BuildAgent)}/export", Action("<storage_domain name=\"export-file\"/>"))).StatusCode);
        Assert.Contains(await app.Services.GetRequiredService<PortalQueries>().VmsAsync(Ct), v => v.Id == BuildAgent);
    }
}
