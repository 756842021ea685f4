using System.Net;
using System.Xml.Linq;
using Microsoft.Extensions.DependencyInjection;
using Portal.Core.Audit;
using static Portal.Tests.Api.ApiTestExtensions;

namespace Portal.Tests.Api;

/// <summary>
/// <c>search=</c>, <c>max</c>, <c>case_sensitive</c>, <c>follow</c> and <c>all_content</c> on the collections, as oVirt
/// scripts and Ansible's modules send them, against the demo inventory (7 VMs: 4 running, 2 in the Legacy cluster).
/// </summary>
public sealed class SearchApiTests(PortalApiFactory app) : IClassFixture<PortalApiFactory>
{
    private async Task<List<string>> VmNamesAsync(string query)
    {
        using var client = app.Admin();
        var vms = await (await client.Get($"{Base}/vms?{query}")).XmlAsync(HttpStatusCode.OK);
        return vms.Elements("vm").Select(v => v.Text("name")).ToList();
    }

    private static string Search(string search) => "search=" + Uri.EscapeDataString(search);

    [Fact]
    public async Task Vms_SearchByName_ReturnsOnlyThatVm()
    {
        Assert.Equal(["web-frontend"], await VmNamesAsync(Search("name=web-frontend")));
    }

    [Fact]
    public async Task Vms_SearchByQuotedName_AsAnsibleSendsIt_ReturnsThatVm()
    {
        Assert.Equal(["db-primary"], await VmNamesAsync(Search("name=\"db-primary\"") + "&all_content=true"));
    }

    [Fact]
    public async Task Vms_SearchWithWildcards_MatchesAnyRun()
    {
        Assert.Equal(["legacy-erp", "legacy-reports"], await VmNamesAsync(Search("name=legacy*")));
        Assert.Equal(["kiosk-stateless"], await VmNamesAsync(Search("name=*state*")));
        Assert.Equal(["kiosk-stateless", "legacy-reports"], await VmNamesAsync(Search("name=*-*s")));
    }

    [Fact]
    public async Task Vms_Search_IsCaseSensitiveUnlessAskedOtherwise()
    {
        Assert.Empty(await VmNamesAsync(Search("name=WEB*")));
        Assert.Empty(await VmNamesAsync(Search("name=Web-Frontend")));
        Assert.Equal(["web-frontend"], await VmNamesAsync(Search("name=WEB*") + "&case_sensitive=false"));
        Assert.Equal(["web-frontend"], await VmNamesAsync(Search("name=Web-Frontend") + "&case_sensitive=false"));
    }

    [Fact]
    public async Task Vms_SearchByStatus_UsesOvirtSpellings()
    {
        Assert.Equal(["db-primary", "gpu-render", "legacy-erp", "web-frontend"], await VmNamesAsync(Search("status=up")));
        Assert.Equal(["build-agent", "kiosk-stateless", "legacy-reports"], await VmNamesAsync(Search("status=down")));
    }

    [Fact]
    public async Task Vms_SearchByClusterAndHost_FollowsTheirNames()
    {
        Assert.Equal(["legacy-erp", "legacy-reports"], await VmNamesAsync(Search("cluster=Legacy")));
        using var client = app.Admin();
        var host = (await (await client.Get($"{Base}/hosts")).XmlAsync(HttpStatusCode.OK)).Elements("host").First().Text("name");
        Assert.Equal(7, (await VmNamesAsync(Search($"host={host}"))).Count);
        Assert.Empty(await VmNamesAsync(Search("host=no-such-host")));
    }

    [Fact]
    public async Task Vms_SearchWithAndOr_AndBindsTighter()
    {
        Assert.Equal(["build-agent", "kiosk-stateless"], await VmNamesAsync(Search("cluster=Production and status=down")));
        Assert.Equal(["db-primary", "web-frontend"], await VmNamesAsync(Search("name=web* or name=db*")));
        // (cluster=Legacy and status=up) or name=build*
        Assert.Equal(["build-agent", "legacy-erp"], await VmNamesAsync(Search("cluster=Legacy and status=up or name=build*")));
        // Two terms side by side mean "and", as in oVirt.
        Assert.Equal(["legacy-reports"], await VmNamesAsync(Search("cluster=Legacy status=down")));
    }

    [Fact]
    public async Task Vms_SortbyAndPage_OrderAndSliceWithMax()
    {
        var all = await VmNamesAsync("");
        Assert.Equal(all.Order(StringComparer.Ordinal), all);
        Assert.Equal(all.AsEnumerable().Reverse(), await VmNamesAsync(Search("sortby name desc")));
        Assert.Equal(all, await VmNamesAsync(Search("sortby name asc")));
        Assert.Equal(all.Take(3), await VmNamesAsync("max=3"));
        Assert.Equal(all.Skip(3).Take(3), await VmNamesAsync(Search("page 2") + "&max=3"));
        Assert.Equal(all.Skip(6), await VmNamesAsync(Search("page 3") + "&max=3"));
        Assert.Equal(["legacy-reports"], await VmNamesAsync(Search("name=legacy* sortby name desc page 1") + "&max=1"));
    }

    [Theory]
    [InlineData("memory=1024", "memory=1024")]
    [InlineData("name!=web-frontend", "!=")]
    [InlineData("status=flying", "flying")]
    [InlineData("name=web* sortby memory", "sortby memory")]
    [InlineData("(name=web*)", "(name")]
    [InlineData("name=web* page zero", "page")]
    [InlineData("name=\"web", "quote")]
    public async Task Vms_UnsupportedSearch_Answers400NamingTheTerm(string search, string named)
    {
        using var client = app.Admin();
        var detail = await (await client.Get($"{Base}/vms?{Search(search)}")).FaultAsync(HttpStatusCode.BadRequest);
        Assert.Contains(named, detail);
    }

    [Fact]
    public async Task Collections_BadMaxOrFlag_Answer400()
    {
        using var client = app.Admin();
        Assert.Contains("max", await (await client.Get($"{Base}/vms?max=0")).FaultAsync(HttpStatusCode.BadRequest));
        Assert.Contains("case_sensitive", await (await client.Get($"{Base}/hosts?case_sensitive=maybe")).FaultAsync(HttpStatusCode.BadRequest));
        Assert.Contains("disks", await (await client.Get($"{Base}/vms?follow=disks")).FaultAsync(HttpStatusCode.BadRequest));
    }

    [Fact]
    public async Task Clusters_HostsAndStorageDomains_AreSearchable()
    {
        using var client = app.Admin();
        var clusters = await (await client.Get($"{Base}/clusters?{Search("name=Leg*")}")).XmlAsync(HttpStatusCode.OK);
        Assert.Equal(["Legacy"], clusters.Elements("cluster").Select(c => c.Text("name")));

        var up = await (await client.Get($"{Base}/hosts?{Search("status=up")}")).XmlAsync(HttpStatusCode.OK);
        Assert.NotEmpty(up.Elements("host"));
        Assert.All(up.Elements("host"), h => Assert.Equal("up", h.Text("status")));
        Assert.Empty((await (await client.Get($"{Base}/hosts?{Search("status=non_responsive")}")).XmlAsync(HttpStatusCode.OK)).Elements("host"));
        await (await client.Get($"{Base}/hosts?{Search("memory=1")}")).FaultAsync(HttpStatusCode.BadRequest);

        var export = await (await client.Get($"{Base}/storagedomains?{Search("type=export")}")).XmlAsync(HttpStatusCode.OK);
        Assert.Equal(["export-file"], export.Elements("storage_domain").Select(d => d.Text("name")));
        var byName = await (await client.Get($"{Base}/storagedomains?{Search("name=DATA-*")}&case_sensitive=false")).XmlAsync(HttpStatusCode.OK);
        Assert.Equal(["data-file"], byName.Elements("storage_domain").Select(d => d.Text("name")));
        Assert.Contains("status", await (await client.Get($"{Base}/storagedomains?{Search("status=active")}")).FaultAsync(HttpStatusCode.BadRequest));
    }

    [Fact]
    public async Task Events_SearchBySeverityNameAndVm_FiltersTheAuditLog()
    {
        await using var own = new PortalApiFactory();
        await own.InitializeAsync();
        using var client = own.Admin();
        await (await client.Post($"{Vm(PortalApiFactory.BuildAgent)}/start", Action())).XmlAsync(HttpStatusCode.OK);
        await (await client.Post($"{Vm(PortalApiFactory.BuildAgent)}/stop", Action())).XmlAsync(HttpStatusCode.OK);
        await (await client.Post($"{Vm(PortalApiFactory.LegacyReports)}/start", Action())).XmlAsync(HttpStatusCode.OK);

        async Task<List<XElement>> Events(string query) =>
            (await (await client.Get($"{Base}/events?{query}")).XmlAsync(HttpStatusCode.OK)).Elements("event").ToList();

        var runs = await Events(Search("name=\"Run VM\" and severity=normal"));
        Assert.Equal(2, runs.Count);
        Assert.All(runs, e => Assert.Matches(ApiReadTests.OvirtDatePattern, e.Text("time")));
        Assert.True(long.Parse(runs[0].Text("index")) > long.Parse(runs[1].Text("index")), "newest first");
        Assert.Equal(["Stop VM"], (await Events(Search("vm.name=build-agent and name=Stop*"))).Select(e => e.Text("name")));
        // The first Basic call signed admin in (audited, as oVirt's USER_VDC_LOGIN); the calls after it reuse that sign-in.
        var oldestFirst = await Events(Search("usrname=admin* sortby time asc") + "&max=1");
        Assert.Equal("Sign in", Assert.Single(oldestFirst).Text("name"));
        Assert.Equal(4, (await Events(Search("usrname=admin*"))).Count);
        Assert.Empty(await Events(Search("severity=error")));
        Assert.Contains("status", await (await client.Get($"{Base}/events?{Search("status=up")}")).FaultAsync(HttpStatusCode.BadRequest));
    }

    [Fact]
    public async Task Events_From_ReturnsOnlyTheEntriesWrittenAfterThatIndex()
    {
        await using var own = new PortalApiFactory();
        await own.InitializeAsync();
        using var client = own.Admin();
        async Task<List<XElement>> Events(string query) =>
            (await (await client.Get($"{Base}/events?{query}")).XmlAsync(HttpStatusCode.OK)).Elements("event").ToList();
        static long Index(XElement e) => long.Parse(e.Text("index"));
        var seen = Index((await Events("max=1"))[0]);

        await (await client.Post($"{Vm(PortalApiFactory.BuildAgent)}/start", Action())).XmlAsync(HttpStatusCode.OK);
        await (await client.Post($"{Vm(PortalApiFactory.BuildAgent)}/stop", Action())).XmlAsync(HttpStatusCode.OK);

        var since = await Events($"from={seen}");
        Assert.Equal(["Stop VM", "Run VM"], since.Select(e => e.Text("name")));
        Assert.All(since, e => Assert.True(Index(e) > seen, "only entries after the one seen"));
        // More new entries than max: the newest first, the older ones on the next page of the same from.
        Assert.Equal(["Stop VM"], (await Events($"from={seen}&max=1")).Select(e => e.Text("name")));
        Assert.Equal(["Run VM"], (await Events($"from={seen}&max=1&{Search("page 2")}")).Select(e => e.Text("name")));
        Assert.Empty(await Events($"from={seen}&max=1&{Search("page 3")}"));
        Assert.Equal(["Run VM"], (await Events($"from={seen}&{Search("name=\"Run VM\"")}")).Select(e => e.Text("name")));
        Assert.Empty(await Events($"from={Index(since[0])}"));

        // A poller that fell behind: from= without max gives it every entry since, not the default 100.
        var log = own.Services.GetRequiredService<AuditLog>();
        for (var i = 0; i < 120; i++) await log.WriteAsync("admin", null, null, "Bench", AuditOutcome.Success, $"entry {i}");
        var pending = await Events($"from={seen}");
        Assert.Equal(122, pending.Count);
        Assert.Equal("entry 119", pending[0].Text("description"));
        Assert.Equal(["Stop VM", "Run VM"], pending.TakeLast(2).Select(e => e.Text("name")));
        Assert.Equal(100, (await Events("")).Count); // without from, the newest 100 as before

        Assert.Contains("from", await (await client.Get($"{Base}/events?from=yesterday")).FaultAsync(HttpStatusCode.BadRequest));
        Assert.Contains("from", await (await client.Get($"{Base}/events?from=-1")).FaultAsync(HttpStatusCode.BadRequest));
    }

    [Fact]
    public async Task Vm_FollowSnapshotsAndCluster_EmbedsThem()
    {
        using var client = app.Admin();
        var vm = await (await client.Get($"{Vm(PortalApiFactory.LegacyErp)}?follow=snapshots,cluster&all_content=true")).XmlAsync(HttpStatusCode.OK);

        var snapshot = Assert.Single(vm.Element("snapshots")!.Elements("snapshot"));
        Assert.Equal("active", snapshot.Text("snapshot_type"));
        Assert.DoesNotContain(vm.Elements("link"), l => (string?)l.Attribute("rel") == "snapshots");
        var cluster = vm.Element("cluster")!;
        Assert.Equal("Legacy", cluster.Text("name"));
        Assert.Equal("3", cluster.Element("version")!.Text("major"));

        var plain = await (await client.Get(Vm(PortalApiFactory.LegacyErp))).XmlAsync(HttpStatusCode.OK);
        Assert.Null(plain.Element("snapshots"));
        Assert.Null(plain.Element("cluster")!.Element("name"));
        Assert.Contains(plain.Elements("link"), l => (string?)l.Attribute("rel") == "snapshots");

        var listed = await (await client.Get($"{Base}/vms?{Search("name=legacy-erp")}&follow=cluster")).XmlAsync(HttpStatusCode.OK);
        Assert.Equal("Legacy", listed.Element("vm")!.Element("cluster")!.Text("name"));
    }

    [Fact]
    public async Task Vms_InJson_AreSearchableToo()
    {
        using var client = app.Admin(json: true);
        var vms = await (await client.Get($"{Base}/vms?{Search("name=web*")}&follow=snapshots")).JsonAsync(HttpStatusCode.OK);
        var vm = Assert.Single(vms.GetProperty("vm").EnumerateArray());
        Assert.Equal("web-frontend", vm.GetProperty("name").GetString());
        // oVirt nests a list in JSON as {"snapshot": [...]}.
        Assert.Equal("active", vm.GetProperty("snapshots").GetProperty("snapshot")[0].GetProperty("snapshot_type").GetString());
    }
}
