using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;
using Portal.Tests.Api;
using static Portal.Tests.Api.ApiTestExtensions;

namespace Portal.Tests.Observability;

/// <summary>
/// OpenTelemetry listens to every meter of a name in the process, so another test's portal running at the same time
/// would add its operations and hosts to this one's scrape: these tests run alone.
/// </summary>
[CollectionDefinition(DisableParallelization = true)]
public sealed class MetricsCollection;

/// <summary>GET /metrics: Prometheus' text format, for Admins only, with the portal's own instruments.</summary>
[Collection(typeof(MetricsCollection))]
public sealed class MetricsEndpointTests
{
    [Fact]
    public async Task Metrics_AfterMemorySnapshotAndRefusal_AdminScrapeCountsThemByKindAndOutcome()
    {
        await using var app = new PortalApiFactory();
        await app.InitializeAsync();
        using var client = app.Admin();

        // A stop (a libvirt lifecycle event), a snapshot with memory (runs in the background after the 202), and a
        // refused commit (nothing in preview).
        await (await client.Post($"{Vm(PortalApiFactory.DbPrimary)}/stop", Action())).XmlAsync(HttpStatusCode.OK);
        await (await client.Post($"{Vm(PortalApiFactory.WebFrontend)}/snapshots",
            Xml("<snapshot><description>metrics</description><persist_memorystate>true</persist_memorystate></snapshot>"))).CreatedXmlAsync();
        using (var refused = await client.Post($"{Vm(PortalApiFactory.DbPrimary)}/commitsnapshot", Action()))
            Assert.Equal(HttpStatusCode.Conflict, refused.StatusCode);

        var text = await PollAsync(() => ScrapeAsync(client),
            t => Value(t, "portal_operations_total", ("operation", "Create snapshot"), ("outcome", "ok")) == 1
                 && Value(t, "portal_libvirt_event_lag_seconds_count") >= 1,
            "the finished snapshot in /metrics");

        Assert.Equal(1, Value(text, "portal_operations_total", ("operation", "Commit snapshot"), ("outcome", "conflict")));
        Assert.Equal(1, Value(text, "portal_operation_duration_seconds_count", ("operation", "Create snapshot"), ("outcome", "ok")));
        Assert.True(Value(text, "portal_operation_duration_seconds_sum", ("operation", "Create snapshot"), ("outcome", "ok")) > 0);
        // The memory dump: one, its size at least the VM's RAM, on the demo's File domain.
        Assert.Equal(1, Value(text, "portal_memory_dump_size_bytes_count", ("domain_kind", "File")));
        Assert.True(Value(text, "portal_memory_dump_size_bytes_sum", ("domain_kind", "File")) >= 200L << 20);
        Assert.Equal(1, Value(text, "portal_memory_dump_duration_seconds_count", ("domain_kind", "File")));
        Assert.Equal(1, Value(text, "portal_operations_total", ("operation", "Stop VM"), ("outcome", "ok")));
        // The embedded demo host is connected.
        Assert.Equal(1, Value(text, "portal_host_connected", ("primary", "true")));
        Assert.Equal(0, Value(text, "portal_circuits_open"));
        Assert.Contains("# TYPE portal_circuits_open gauge", text);

        // Every metric the documented Grafana dashboard queries is exported (no panel stays empty).
        var dashboard = await File.ReadAllTextAsync(Path.Combine(RepoRoot(), "docs", "grafana-dashboard.json"), Ct);
        var queried = Regex.Matches(dashboard, @"\b(?:portal|http|dotnet)_[a-z_]+(?=\{)").Select(m => m.Value).Distinct().ToList();
        Assert.True(queried.Count >= 8, string.Join(", ", queried));
        Assert.All(queried, name => Assert.Matches(new Regex($"^{name}(\\{{| )", RegexOptions.Multiline), text));
    }

    [Fact]
    public async Task Metrics_WithoutAdminRole_AnonymousGets401AndHelpdeskGets403()
    {
        await using var app = new PortalApiFactory();
        await app.InitializeAsync();

        using var anonymous = app.Anonymous();
        using var helpdesk = app.Helpdesk();
        using var unauthenticated = await anonymous.Get("/metrics");
        using var forbidden = await helpdesk.Get("/metrics");

        Assert.Equal(HttpStatusCode.Unauthorized, unauthenticated.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, forbidden.StatusCode);
        Assert.DoesNotContain("portal_", await forbidden.Content.ReadAsStringAsync(Ct));
        Assert.Contains("Admin role", await forbidden.Content.ReadAsStringAsync(Ct));
    }

    private static string RepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Portal.sln"))) return dir.FullName;
        throw new DirectoryNotFoundException("No Portal.sln above " + AppContext.BaseDirectory);
    }

    private static async Task<string> ScrapeAsync(HttpClient client)
    {
        using var response = await client.Get("/metrics");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await response.Content.ReadAsStringAsync(Ct);
    }

    /// <summary>The value of the one sample of <paramref name="name"/> whose labels include <paramref name="labels"/>; 0 when there is none.</summary>
    private static double Value(string text, string name, params (string Key, string Value)[] labels)
    {
        var samples = text.Split('\n')
            .Select(l => Regex.Match(l, @"^(?<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?<labels>.*)\})?\s+(?<value>\S+)"))
            .Where(m => m.Success && m.Groups["name"].Value == name)
            .Where(m => labels.All(l => m.Groups["labels"].Value.Contains($"{l.Key}=\"{l.Value}\"", StringComparison.Ordinal)))
            .Select(m => double.Parse(m.Groups["value"].Value, CultureInfo.InvariantCulture))
            .ToList();
        Assert.True(samples.Count <= 1, $"{samples.Count} samples of {name} match: {text}");
        return samples.SingleOrDefault();
    }
}
