using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text.RegularExpressions;
using Microsoft.Playwright;
using static Portal.Benchmarks.LatencyBenchmark;

namespace Portal.Benchmarks;

/// <summary>
/// Memory per circuit (issue 13) as the production process holds it: <c>dotnet Portal.dll</c> on a folder seeded by
/// <c>--scale --seed-only</c>, its live objects counted by <c>dotnet-dump</c> (<c>dumpheap -stat -live</c>) after two
/// warm-up pages were opened and closed, again with <c>--pages</c> signed-in VMs pages open, and again after
/// <c>--events</c> status changes of a VM on their first page (start and stop through the API, each waited for in every
/// page: once a component has rendered twice it keeps both render trees, so that is a page left open). The differences
/// divided by the page count, with the types that grew most. The browser runs in this process's Playwright, not in
/// the portal, so nothing of the client is counted. <c>--distinct</c>: page i shows the grid's page i (no two pages
/// show the same rows, so nothing a row shows is shared between them), without the status events. <c>--rounds N</c>:
/// the cycle N times, each against the baseline just before it, and the median. <c>--postgres CS</c>: the portal on the
/// PostgreSQL database seeded with the folder.
/// </summary>
internal static partial class CircuitMemoryBenchmark
{
    private const string Vm = "build-agent";

    public static async Task<int> RunAsync(string[] args)
    {
        var data = Str(args, "--seeded") ?? throw new ArgumentException("--circuit-memory needs --seeded DIR (a folder from --scale --seed-only).");
        // --postgres CS: the database --scale --seed-only --postgres seeded (it prints CS as "Seeded database: …").
        var postgres = Str(args, "--postgres");
        var pages = IntArg(args, "--pages", 20);
        var distinct = args.Contains("--distinct");
        var events = distinct ? 0 : IntArg(args, "--events", 4);
        var dumper = DotnetDump();
        Console.WriteLine($"Memory per circuit: {pages} signed-in VMs pages{(distinct ? ", each on a page of the grid of its own" : "")}, " +
                          $"then {events} status events; the portal process " +
                          $"({BuildConfiguration()}) on {data}, {(postgres is null ? "SQLite" : "PostgreSQL")}; {Environment.ProcessorCount} cores, .NET {Environment.Version}.");
        await using var portal = PortalProcess.Start(new Dictionary<string, string?>
        {
            ["Portal:DataDirectory"] = data,
            ["Portal:AdminPassword"] = Password,
            ["Libvirt:Uri"] = null,
            ["ConnectionStrings:Portal"] = postgres,
            ["Database:Provider"] = postgres is null ? null : "PostgreSQL",
        });
        await portal.FirstOkAsync("/healthz/ready", TimeSpan.FromMinutes(5));
        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(ChromiumOptions());
        var state = await ScaleBenchmark.SignedInStateAsync(browser, portal.BaseUrl);
        using var api = new HttpClient { BaseAddress = new Uri(portal.BaseUrl) };
        api.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", await ApiThroughputBenchmark.TokenAsync(api));

        // Warm-up: the first pages and status events compile and cache what every later circuit shares.
        var warm = await OpenAsync(browser, portal.BaseUrl, state, 2, distinct: false);
        var vmId = await VmIdAsync(warm[0].Page);
        await StatusEventsAsync(api, warm.Select(w => w.Page).ToList(), vmId, 2);
        foreach (var (context, _) in warm) await ScaleBenchmark.CloseAsync(context);
        await Task.Delay(5000);

        // --rounds N: the whole cycle (baseline, pages opened, status events, pages closed) N times, each against the
        // baseline just before it. With few pages one round is mostly noise (a pooled buffer, a cache entry of the
        // process's is counted for the page): 1 page measured 151, 296 and 730 KB in three runs of one round.
        var rounds = IntArg(args, "--rounds", 1);
        var results = new List<(Heap Baseline, Heap Opened, Heap AfterEvents)>();
        for (var round = 1; round <= rounds; round++)
        {
            var baseline = await LiveHeapAsync(dumper, portal.Process.Id, "baseline");
            var open = await OpenAsync(browser, portal.BaseUrl, state, pages, distinct);
            await Task.Delay(2000);
            var opened = await LiveHeapAsync(dumper, portal.Process.Id, "opened");
            await StatusEventsAsync(api, open.Select(o => o.Page).ToList(), vmId, events);
            await Task.Delay(2000);
            var afterEvents = await LiveHeapAsync(dumper, portal.Process.Id, "after-events");
            results.Add((baseline, opened, afterEvents));
            foreach (var (context, _) in open) await ScaleBenchmark.CloseAsync(context);
            if (round < rounds) await Task.Delay(5000);
        }

        double PerCircuit(Heap from, Heap to) => (to.Total - from.Total) / 1024.0 / pages;
        Console.WriteLine();
        Console.WriteLine("| round | baseline (warm, no page open) | just opened: total / per circuit | after status events: total / per circuit |");
        Console.WriteLine("|---|---:|---:|---:|");
        for (var i = 0; i < results.Count; i++)
        {
            var (baseline, opened, afterEvents) = results[i];
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {i + 1} | {baseline.Total / 1024.0:F0} KB | {opened.Total / 1024.0:F0} KB / **{PerCircuit(baseline, opened):F0} KB** | {afterEvents.Total / 1024.0:F0} KB / **{PerCircuit(baseline, afterEvents):F0} KB** |"));
        }
        var byAfter = results.OrderBy(r => PerCircuit(r.Baseline, r.AfterEvents)).ToList();
        var median = byAfter[byAfter.Count / 2];
        if (results.Count > 1)
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"Median of {results.Count} rounds, per circuit ({pages} pages): just opened **{Median(results.Select(r => PerCircuit(r.Baseline, r.Opened))):F0} KB**, " +
                $"after {events} status events **{Median(results.Select(r => PerCircuit(r.Baseline, r.AfterEvents))):F0} KB**; the types below are the round with the median after the events."));
        var top = IntArg(args, "--top", 15);
        Growth("just opened", median.Baseline, median.Opened, pages, top);
        Growth($"after {events} status events", median.Baseline, median.AfterEvents, pages, top);
        return 0;
    }

    private static async Task<List<(IBrowserContext Context, IPage Page)>> OpenAsync(IBrowser browser, string baseUrl, string state, int count, bool distinct)
    {
        var open = new List<(IBrowserContext, IPage)>();
        for (var i = 0; i < count; i++)
        {
            var context = await browser.NewContextAsync(new() { BaseURL = baseUrl, StorageState = state });
            var page = await context.NewPageAsync();
            await page.GotoAsync("/vms");
            await page.Locator("#portal-main[data-interactive='true']").WaitForAsync();
            await page.Locator($"[data-testid='vm-{Vm}-status']").WaitForAsync();
            for (var next = 1; distinct && next <= i; next++)
            {
                await page.GetByRole(AriaRole.Button, new() { Name = "Next page" }).ClickAsync();
                await page.Locator("[data-testid='vms-pager'] p", new() { HasTextRegex = new Regex($"^{next * 25 + 1}-") }).WaitForAsync();
            }
            open.Add((context, page));
        }
        return open;
    }

    private static async Task<string> VmIdAsync(IPage page)
    {
        var href = await page.Locator($"[data-testid='vm-{Vm}-link']").GetAttributeAsync("href") ?? throw new InvalidOperationException($"No link to {Vm}.");
        return href[(href.LastIndexOf('/') + 1)..];
    }

    /// <summary>Starts or stops the VM <paramref name="count"/> times through the API, each change shown in every page before the next.</summary>
    private static async Task StatusEventsAsync(HttpClient api, List<IPage> pages, string vmId, int count)
    {
        for (var i = 0; i < count; i++)
        {
            var up = await pages[0].Locator($"[data-testid='vm-{Vm}-status']").GetAttributeAsync("data-status") == "Up";
            using var body = new StringContent("<action/>", System.Text.Encoding.UTF8, "application/xml");
            using var response = await api.PostAsync($"/ovirt-engine/api/vms/{vmId}/{(up ? "stop" : "start")}", body);
            response.EnsureSuccessStatusCode();
            foreach (var page in pages)
                await page.Locator($"[data-testid='vm-{Vm}-status'][data-status='{(up ? "Down" : "Up")}']").WaitForAsync(new() { Timeout = 60_000 });
        }
    }

    private sealed record Heap(long Total, Dictionary<string, (long Count, long Bytes)> Types);

    /// <summary>The process's live objects by type (<c>dumpheap -stat -live</c> on a heap dump; the dump file is removed).</summary>
    private static async Task<Heap> LiveHeapAsync(string dumper, int pid, string name)
    {
        var file = Path.Combine(Path.GetTempPath(), $"portal-circuits-{pid}-{name}.dmp");
        try
        {
            await RunAsync(dumper, "collect", "-p", pid.ToString(CultureInfo.InvariantCulture), "--type", "Heap", "-o", file);
            var output = await RunAsync(dumper, "analyze", file, "-c", "dumpheap -stat -live", "-c", "exit");
            var types = new Dictionary<string, (long, long)>();
            long total = -1;
            foreach (var line in output.Split('\n'))
            {
                if (TotalLine().Match(line) is { Success: true } t) total = Number(t.Groups[2].Value);
                else if (TypeLine().Match(line) is { Success: true } m) types[m.Groups[3].Value.Trim()] = (Number(m.Groups[1].Value), Number(m.Groups[2].Value));
            }
            return total >= 0 ? new Heap(total, types) : throw new InvalidOperationException("dumpheap printed no total:\n" + output);
        }
        finally
        {
            File.Delete(file);
        }
    }

    private static void Growth(string when, Heap from, Heap to, int pages, int top)
    {
        Console.WriteLine();
        Console.WriteLine($"What grew most, per circuit, {when}:");
        Console.WriteLine("| type | objects | bytes |");
        Console.WriteLine("|---|---:|---:|");
        var growth = to.Types
            .Select(t => (Type: t.Key, Count: t.Value.Count - from.Types.GetValueOrDefault(t.Key).Count, Bytes: t.Value.Bytes - from.Types.GetValueOrDefault(t.Key).Bytes))
            .OrderByDescending(g => g.Bytes).Take(top);
        foreach (var g in growth)
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| `{g.Type}` | {g.Count / (double)pages:F1} | {g.Bytes / (double)pages:F0} |"));
    }

    private static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[sorted.Count / 2 - 1] + sorted[sorted.Count / 2]) / 2;
    }

    private static long Number(string digits) => long.Parse(digits.Replace(",", ""), CultureInfo.InvariantCulture);

    [GeneratedRegex(@"^Total\s+([\d,]+)\s+objects,\s+([\d,]+)\s+bytes")]
    private static partial Regex TotalLine();

    [GeneratedRegex(@"^\s*[0-9a-f]{8,}\s+([\d,]+)\s+([\d,]+)\s+(\S.*)$")]
    private static partial Regex TypeLine();

    private static async Task<string> RunAsync(string file, params string[] arguments)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in arguments) psi.ArgumentList.Add(a);
        using var process = Process.Start(psi)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return process.ExitCode == 0
            ? await output
            : throw new InvalidOperationException($"{Path.GetFileName(file)} {string.Join(' ', arguments)} exited with {process.ExitCode}: {await error}{await output}");
    }

    private static string DotnetDump() =>
        new[] { Environment.GetEnvironmentVariable("PATH") ?? "" }.SelectMany(p => p.Split(':'))
            .Append(Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".dotnet", "tools"))
            .Select(d => Path.Combine(d, "dotnet-dump")).FirstOrDefault(File.Exists)
        ?? throw new FileNotFoundException("No dotnet-dump (dotnet tool install -g dotnet-dump).");

}
