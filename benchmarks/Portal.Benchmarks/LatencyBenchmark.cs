using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Playwright;
using Portal;
using Portal.Core;
using Portal.Core.Hypervisor;
using Portal.Core.Vms;

namespace Portal.Benchmarks;

/// <summary>
/// How long a libvirt domain event takes to reach the text of a browser that has /vms open, and how long the portal
/// takes from <c>dotnet Portal.dll</c> to its first 200 on /healthz. The portal is hosted in this process with the
/// real extension methods, so the benchmark is "another client of the same libvirt connection": it starts and
/// destroys build-agent through <see cref="IHypervisor"/> directly, and the page hears of it only through the
/// monitor → notifier → circuit path that a user's page uses. See benchmarks/README.md.
/// </summary>
public static class LatencyBenchmark
{
    private const string Vm = "build-agent";
    internal const string Password = "Bench-admin-pass1";

    public static async Task<int> Main(string[] args)
    {
        if (args.Contains("--export-import")) return await ExportImportBenchmark.RunAsync(args);
        if (args.Contains("--api-throughput")) return await ApiThroughputBenchmark.RunAsync(args);
        if (args.Contains("--scale")) return await ScaleBenchmark.RunAsync(args);
        if (args.Contains("--export-list")) return await ExportListBenchmark.RunAsync(args);
        if (args.Contains("--circuit-memory")) return await CircuitMemoryBenchmark.RunAsync(args);
        var iterations = IntArg(args, "--iterations", 40);
        var warmup = IntArg(args, "--warmup", 5);
        var coldStarts = IntArg(args, "--cold-starts", 3);
        var settle = IntArg(args, "--settle-ms", 250);
        Console.WriteLine($"Portal latency benchmark: {iterations} start/destroy pairs of {Vm} after {warmup} warm-up pairs, {settle} ms apart; " +
                          $"{coldStarts} cold starts. {Environment.ProcessorCount} cores, .NET {Environment.Version}, " +
                          $"{(Debugger.IsAttached ? "debugger attached, " : "")}{BuildConfiguration()} build.");

        await EventToBrowserAsync(iterations, warmup, settle);
        if (coldStarts > 0) await ColdStartAsync(coldStarts);
        return 0;
    }

    private static async Task EventToBrowserAsync(int iterations, int warmup, int settleMs)
    {
        var data = Directory.CreateTempSubdirectory("portal-bench-").FullName;
        try
        {
            // The real start-up: migrations, seeding, reconciliation, the first admin; then it serves.
            var (app, baseUrl) = await InProcessPortal.StartAsync(new Dictionary<string, string?>
            {
                ["Portal:DataDirectory"] = data,
                ["Portal:AdminPassword"] = Password,
                ["Libvirt:Uri"] = null, // the embedded test driver with the demo VMs
            }, environment: "Development");
            Console.WriteLine($"In-process portal at {baseUrl}, data in {data}");

            var hypervisor = app.Services.GetRequiredService<IHypervisor>();
            var locks = app.Services.GetRequiredService<VmLocks>();
            var vmId = (await hypervisor.ListDomainsAsync()).Single(d => d.Name == Vm).Id;
            var events = new ConcurrentQueue<(DomainEventKind Kind, double At)>();
            hypervisor.LifecycleEvent += e =>
            {
                if (e.DomainId == vmId) events.Enqueue((e.Kind, Clock.NowMs()));
            };

            using var playwright = await Playwright.CreateAsync();
            await using var browser = await playwright.Chromium.LaunchAsync(ChromiumOptions());
            var page = await browser.NewPageAsync(new() { BaseURL = baseUrl });
            await page.GotoAsync("/account/login");
            await page.GetByLabel("User name", new() { Exact = true }).FillAsync("admin");
            await page.GetByLabel("Password", new() { Exact = true }).FillAsync(Password);
            await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
            await page.WaitForURLAsync("**/vms");
            await page.Locator("#portal-main[data-interactive='true']").WaitForAsync();
            var chip = $"[data-testid='vm-{Vm}-status']";
            await page.Locator(chip).WaitForAsync();
            var offset = await BrowserClockOffsetAsync(page);
            Console.WriteLine($"Browser clock offset {offset.Offset:F3} ms (± {offset.Uncertainty:F3} ms from the calibration round trip).");
            await page.EvaluateAsync(RecorderScript, chip);

            var fromEvent = new List<double>();
            var byDirection = new Dictionary<string, List<double>> { ["Up"] = [], ["Down"] = [] };
            var fromCall = new List<double>();
            var fromReturn = new List<double>();
            for (var i = 0; i < warmup + iterations; i++)
            {
                foreach (var (text, kind, act) in new (string, DomainEventKind, Func<Task>)[]
                         {
                             ("Up", DomainEventKind.Started, () => hypervisor.StartAsync(vmId)),
                             ("Down", DomainEventKind.Stopped, () => hypervisor.DestroyAsync(vmId)),
                         })
                {
                    await page.EvaluateAsync("() => { window.__latency.length = 0; }");
                    var call = Clock.NowMs();
                    await act();
                    var returned = Clock.NowMs();
                    IJSHandle changed;
                    try
                    {
                        changed = await page.WaitForFunctionAsync(
                            "text => window.__latency.find(x => x.text === text)?.t ?? false", text, new() { Timeout = 30_000 });
                    }
                    catch (TimeoutException)
                    {
                        throw new TimeoutException($"The chip did not change to {text} within 30 s; it says " +
                            $"'{await page.Locator(chip).TextContentAsync()}', recorded {await page.EvaluateAsync<string>("() => JSON.stringify(window.__latency)")}, " +
                            $"events seen: {string.Join(", ", events.Select(e => e.Kind))}.");
                    }
                    var browserAt = await changed.JsonValueAsync<double>() - offset.Offset;
                    var eventAt = events.Where(e => e.Kind == kind && e.At >= call).Select(e => e.At).DefaultIfEmpty(double.NaN).First();
                    if (double.IsNaN(eventAt)) throw new InvalidOperationException($"No {kind} event for {Vm} was seen.");
                    events.Clear();
                    // Let the portal finish what a status change sets off (a Down queues "Process VM down", which holds
                    // the VM's lock): the monitor ignores events for a locked VM, so an event fired into that window
                    // would be lost. Not part of any measured interval.
                    await Task.Delay(settleMs);
                    while (locks.HeldBy(vmId) is not null) await Task.Delay(5);
                    if (i < warmup) continue;
                    fromEvent.Add(browserAt - eventAt);
                    byDirection[text].Add(browserAt - eventAt);
                    fromCall.Add(browserAt - call);
                    fromReturn.Add(browserAt - returned);
                }
            }

            Console.WriteLine();
            Console.WriteLine($"Latency to the status chip's text changing in the browser, {fromEvent.Count} samples (Up and Down), ms:");
            Console.WriteLine("| from | p50 | p95 | max | min | mean |");
            Console.WriteLine("|---|---:|---:|---:|---:|---:|");
            Row("libvirt lifecycle event delivered", fromEvent);
            Row("libvirt call issued (StartAsync/DestroyAsync)", fromCall);
            Row("libvirt call returned", fromReturn);
            Row("event, Down → Up only (Started)", byDirection["Up"]);
            Row("event, Up → Down only (Stopped)", byDirection["Down"]);

            await app.StopAsync();
            await app.DisposeAsync();
        }
        finally
        {
            TryDelete(data);
        }
    }

    /// <summary>Records, in the page, when the chip's text changes: no Playwright polling between the change and its time.</summary>
    internal const string RecorderScript = """
        selector => {
          window.__latency = [];
          let last = document.querySelector(selector)?.textContent.trim();
          new MutationObserver(() => {
            const text = document.querySelector(selector)?.textContent.trim();
            if (text !== last) {
              last = text;
              window.__latency.push({ text, t: performance.timeOrigin + performance.now() });
            }
          }).observe(document.body, { subtree: true, childList: true, characterData: true, attributes: true, attributeFilter: ['data-status'] });
        }
        """;

    /// <summary>
    /// The browser's epoch clock minus ours, from the calibration sample with the shortest round trip (both read the
    /// same system clock, so this is near zero; it is measured, not assumed).
    /// </summary>
    private static async Task<(double Offset, double Uncertainty)> BrowserClockOffsetAsync(IPage page)
    {
        var best = (Offset: 0.0, Uncertainty: double.MaxValue);
        for (var i = 0; i < 30; i++)
        {
            var before = Clock.NowMs();
            var browser = await page.EvaluateAsync<double>("() => performance.timeOrigin + performance.now()");
            var after = Clock.NowMs();
            var half = (after - before) / 2;
            if (half < best.Uncertainty) best = (browser - (before + half), half);
        }
        return best;
    }

    private static async Task ColdStartAsync(int runs)
    {
        var dll = PortalDll();
        Console.WriteLine();
        Console.WriteLine($"Cold start: `dotnet {Path.GetRelativePath(RepoRoot(), dll)}` with a fresh data folder (migrations, seeding, first admin) to the first 200 on /healthz:");
        var times = new List<double>();
        for (var run = 1; run <= runs; run++)
        {
            var data = Directory.CreateTempSubdirectory("portal-bench-cold-").FullName;
            try
            {
                await using var portal = PortalProcess.Start(new Dictionary<string, string?>
                {
                    ["Portal:DataDirectory"] = data,
                    ["Portal:AdminPassword"] = Password,
                    ["Libvirt:Uri"] = null,
                    ["ConnectionStrings:Portal"] = null,
                });
                var ms = await portal.FirstOkAsync("/healthz", TimeSpan.FromSeconds(120));
                times.Add(ms);
                Console.WriteLine($"  run {run}: {ms:F0} ms");
            }
            finally
            {
                TryDelete(data);
            }
        }
        Console.WriteLine($"  median {Percentile(times, 50):F0} ms, max {times.Max():F0} ms");
    }

    internal static void Row(string from, List<double> ms) => Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"| {from} | {Percentile(ms, 50):F1} | {Percentile(ms, 95):F1} | {ms.Max():F1} | {ms.Min():F1} | {ms.Average():F1} |"));

    /// <summary>Nearest-rank percentile.</summary>
    internal static double Percentile(List<double> values, double p)
    {
        if (values.Count == 0) return double.NaN;
        var sorted = values.Order().ToList();
        var rank = (int)Math.Ceiling(p / 100 * sorted.Count);
        return sorted[Math.Clamp(rank - 1, 0, sorted.Count - 1)];
    }

    internal static BrowserTypeLaunchOptions ChromiumOptions() => new()
    {
        ExecutablePath = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':')
                             .Select(d => Path.Combine(d, "chromium")).FirstOrDefault(File.Exists)
                         ?? throw new FileNotFoundException("No chromium on PATH (apt-get install -y --no-install-recommends chromium)."),
        Headless = true,
        Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
            "--disable-sync", "--no-first-run", "--disable-quic"],
    };

    /// <summary>This build's portal, or the one published in the folder <c>PORTAL_APP</c> names (<c>scripts/publish.sh</c>).</summary>
    internal static string PortalDll()
    {
        var path = Environment.GetEnvironmentVariable("PORTAL_APP") is { Length: > 0 } app
            ? Path.Combine(Path.GetFullPath(app), "Portal.dll")
            : Path.Combine(RepoRoot(), "Portal", "bin", BuildConfiguration(), "net10.0", "Portal.dll");
        return File.Exists(path) ? path : throw new FileNotFoundException($"Build the portal first: {path}");
    }

    internal static string RepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Portal.sln"))) return dir.FullName;
        throw new DirectoryNotFoundException("No Portal.sln above the benchmark.");
    }

    internal static string BuildConfiguration() =>
        typeof(LatencyBenchmark).Assembly.GetCustomAttributes(typeof(System.Reflection.AssemblyConfigurationAttribute), false)
            .OfType<System.Reflection.AssemblyConfigurationAttribute>().FirstOrDefault()?.Configuration ?? "Debug";

    internal static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    internal static string? Str(string[] args, string name)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
    }

    internal static int IntArg(string[] args, string name, int fallback)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length && int.TryParse(args[i + 1], out var v) ? v : fallback;
    }

    internal static void TryDelete(string dir)
    {
        try { Directory.Delete(dir, recursive: true); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }

    /// <summary>Epoch milliseconds with sub-millisecond resolution: a wall-clock base advanced by the monotonic Stopwatch.</summary>
    internal static class Clock
    {
        private static readonly double BaseMs = (DateTime.UtcNow - DateTime.UnixEpoch).TotalMilliseconds;
        private static readonly long BaseTicks = Stopwatch.GetTimestamp();
        public static double NowMs() => BaseMs + Stopwatch.GetElapsedTime(BaseTicks).TotalMilliseconds;
    }
}
