using System.Diagnostics;
using Microsoft.EntityFrameworkCore;
using Microsoft.Playwright;
using Portal.Core.Hypervisor;
using Portal.Core.ImportExport;
using Portal.Core.Persistence;
using Portal.Core.Storage;
using Portal.Tests.Support;
using static Portal.Benchmarks.LatencyBenchmark;

namespace Portal.Benchmarks;

/// <summary>
/// An export domain holding <c>--exported</c> VMs (1,000 by default), each OVF with 10 snapshots whose configuration
/// and libvirt XML are a demo VM's own (a tenth with a memory reference), as the export command writes them. Measures
/// what reading the domain's contents costs (<see cref="ExportDomainStore.ListAsync"/>, the first read and the
/// next ones), and the Storage domains page that shows them in Chromium: HTML bytes, time to the export list, DOM
/// nodes. The embedded test driver with the 7 demo VMs; SQLite.
/// </summary>
internal static class ExportListBenchmark
{
    public static async Task<int> RunAsync(string[] args)
    {
        var count = IntArg(args, "--exported", 1000);
        var data = Directory.CreateTempSubdirectory("portal-exports-").FullName;
        var settings = new Dictionary<string, string?>
        {
            ["Portal:DataDirectory"] = data,
            ["Portal:AdminPassword"] = Password,
            ["Libvirt:Uri"] = null,
        };
        Console.WriteLine($"Export list benchmark: {count} exported VMs with 10 snapshots each on one export domain. " +
                          $"{Environment.ProcessorCount} cores, .NET {Environment.Version}. Data in {data}.");
        var (app, baseUrl) = await InProcessPortal.StartAsync(settings);
        try
        {
            var s = app.Services;
            var store = s.GetRequiredService<ExportDomainStore>();
            StorageDomain domain;
            await using (var db = await s.GetRequiredService<IDbContextFactory<PortalDbContext>>().CreateDbContextAsync())
                domain = await db.StorageDomains.FirstAsync(d => d.Role == StorageRole.Export);
            var bytes = await WriteAsync(s.GetRequiredService<IHypervisor>(), store, domain, count);
            Console.WriteLine($"Wrote {count} OVFs on {domain.Name}: {bytes / 1024.0 / 1024.0:F1} MiB, {bytes / count / 1024.0:F1} KiB each.");

            var heapBefore = GC.GetTotalMemory(forceFullCollection: true);
            var first = Stopwatch.StartNew();
            var listed = await store.ListAsync(domain, CancellationToken.None);
            first.Stop();
            // What the list keeps while pages show it (the Storage page's overview holds it for every open page).
            var held = GC.GetTotalMemory(forceFullCollection: true) - heapBefore;
            GC.KeepAlive(listed);
            var next = new List<double>();
            for (var i = 0; i < 20; i++)
            {
                var w = Stopwatch.StartNew();
                _ = await store.ListAsync(domain, CancellationToken.None);
                next.Add(w.Elapsed.TotalMilliseconds);
            }
            Console.WriteLine();
            Console.WriteLine("| what | ms |");
            Console.WriteLine("|---|---:|");
            Console.WriteLine($"| list the domain's {listed.Count} VMs, first read | {first.Elapsed.TotalMilliseconds:F1} |");
            Console.WriteLine($"| managed memory the list holds (MiB) | {held / 1024.0 / 1024.0:F1} |");
            Console.WriteLine($"| list them again, p50 / p95 of 20 | {Percentile(next, 50):F1} / {Percentile(next, 95):F1} |");

            // What oVirt's import scripts read first: the export domain's VMs through the API (bearer token, JSON).
            using (var http = new HttpClient { BaseAddress = new Uri(baseUrl) })
            {
                http.DefaultRequestHeaders.Authorization = new("Bearer", await ApiThroughputBenchmark.TokenAsync(http));
                http.DefaultRequestHeaders.Accept.Add(new("application/json"));
                var api = new List<double>();
                long length = 0;
                for (var i = 0; i < 23; i++)
                {
                    var w = Stopwatch.StartNew();
                    var body = await http.GetByteArrayAsync($"/ovirt-engine/api/storagedomains/{domain.Id}/vms");
                    if (i >= 3) api.Add(w.Elapsed.TotalMilliseconds); // 3 warm-up requests dropped
                    length = body.Length;
                }
                Console.WriteLine($"| GET /storagedomains/{{export}}/vms, all {listed.Count} ({length / 1024.0:F0} KiB JSON), p50 / p95 of 20 | {Percentile(api, 50):F1} / {Percentile(api, 95):F1} |");
            }

            using var playwright = await Playwright.CreateAsync();
            await using var browser = await playwright.Chromium.LaunchAsync(ChromiumOptions());
            var state = await ScaleBenchmark.SignedInStateAsync(browser, baseUrl);
            Console.WriteLine();
            Console.WriteLine("| Storage domains page, 5 loads | p50 | max |");
            Console.WriteLine("|---|---:|---:|");
            var html = new List<double>();
            var shown = new List<double>();
            var nodes = new List<double>();
            var htmlBytes = new List<double>();
            for (var i = 0; i < 5; i++)
            {
                var context = await browser.NewContextAsync(new() { BaseURL = baseUrl, StorageState = state });
                var page = await context.NewPageAsync();
                var w = Stopwatch.StartNew();
                var response = await page.GotoAsync("/storage");
                await page.Locator($"[data-testid='export-{domain.Name}-vms'] tbody tr").First.WaitForAsync();
                shown.Add(w.Elapsed.TotalMilliseconds);
                await page.Locator("#portal-main[data-interactive=true]").WaitForAsync();
                htmlBytes.Add((await response!.BodyAsync()).Length);
                html.Add(await page.EvaluateAsync<double>("() => { const n = performance.getEntriesByType('navigation')[0]; return n.responseEnd - n.requestStart; }"));
                nodes.Add(await page.EvaluateAsync<double>("() => document.getElementsByTagName('*').length"));
                await ScaleBenchmark.CloseAsync(context);
            }
            Console.WriteLine($"| HTML (KiB) | {Percentile(htmlBytes, 50) / 1024:F0} | {htmlBytes.Max() / 1024:F0} |");
            Console.WriteLine($"| request → last byte of the HTML (ms) | {Percentile(html, 50):F0} | {html.Max():F0} |");
            Console.WriteLine($"| navigation → first exported VM's row visible (ms) | {Percentile(shown, 50):F0} | {shown.Max():F0} |");
            Console.WriteLine($"| DOM elements | {Percentile(nodes, 50):F0} | {nodes.Max():F0} |");
            return 0;
        }
        finally
        {
            await app.StopAsync();
            await app.DisposeAsync();
            try { Directory.Delete(data, recursive: true); } catch (IOException) { }
        }
    }

    /// <summary>
    /// <paramref name="count"/> VMs named exported-0001…, each with an ACTIVE and 9 REGULAR snapshots in a chain,
    /// every configuration a demo VM's domain XML and every libvirt XML a snapshot around it.
    /// </summary>
    private static async Task<long> WriteAsync(IHypervisor hypervisor, ExportDomainStore store, StorageDomain domain, int count)
    {
        var demo = (await hypervisor.ListDomainsAsync()).OrderBy(d => d.Name, StringComparer.Ordinal).First();
        var xml = await hypervisor.GetDomainXmlAsync(demo.Id, inactive: true);
        var when = new DateTime(2026, 12, 1, 0, 0, 0, DateTimeKind.Utc);
        for (var i = 1; i <= count; i++)
        {
            // A tenth of the VMs keep memory in their oldest snapshot; every snapshot but the Active one has libvirt's XML.
            var vm = ExportedVms.Chain($"exported-{i:D4}", when.AddHours(i), 10, withMemory: i % 10 == 0 ? 1 : 0, xml, domain.Id,
                (j, s) => (j == 9 ? s : s with { HypervisorName = s.Id.ToString(), HypervisorXml = $"<domainsnapshot><name>{s.Id}</name>{xml}</domainsnapshot>" })
                    with { MemorySizeBytes = s.Memory is null ? 0 : 128L << 20, Disks = [new OvfDisk("vda", Guid.NewGuid(), Guid.NewGuid(), 1L << 30)] });
            await store.WriteAsync(domain, vm, CancellationToken.None);
        }
        var pool = await hypervisor.GetPoolAsync(domain.PoolName);
        return Directory.EnumerateFiles(Path.Combine(pool.TargetPath!, "master", "vms"), "*.ovf", SearchOption.AllDirectories)
            .Sum(f => new FileInfo(f).Length);
    }
}
