using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using System.Xml.Linq;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.EntityFrameworkCore;
using Microsoft.Playwright;
using Npgsql;
using Portal;
using Portal.Core;
using Portal.Core.Audit;
using Portal.Core.Hosts;
using Portal.Core.Hypervisor;
using Portal.Core.Persistence;
using Portal.Core.Snapshots;
using Portal.Core.Storage;
using Portal.Core.Vms;
using static Portal.Benchmarks.LatencyBenchmark;

namespace Portal.Benchmarks;

/// <summary>
/// Data-center scale (issue 13): a generated test-driver node with <c>--vms</c> domains (half running) and a database
/// with <c>--snapshots-per-vm</c> snapshots per VM (a tenth with a memory volume) and <c>--audit</c> audit entries,
/// then: the first start that adds the domains, the cold start of the portal process on the seeded data, the
/// queries behind the pages, <c>GET /vms</c> with a bearer token, the VMs page in Chromium (first row, DOM size),
/// memory per circuit and push latency with several pages open. SQLite by default; <c>--postgres CS</c> for PostgreSQL.
/// </summary>
internal static class ScaleBenchmark
{
    public static async Task<int> RunAsync(string[] args)
    {
        if (Str(args, "--startup-phases") is { } seeded) return await StartupPhasesAsync(seeded, Str(args, "--postgres"));
        if (Str(args, "--cold-start") is { } folder) return await ColdStartsAsync(folder, Str(args, "--postgres"), IntArg(args, "--runs", 5));
        var vmCount = IntArg(args, "--vms", 5000);
        var perVm = IntArg(args, "--snapshots-per-vm", 10);
        var auditCount = IntArg(args, "--audit", 100_000);
        var pageCounts = (Str(args, "--pages") ?? "1,20").Split(',').Select(int.Parse).ToArray();
        var pushSamples = IntArg(args, "--push", 10);
        var bigVmSnapshots = IntArg(args, "--big-vm-snapshots", 100);
        var postgres = Str(args, "--postgres");
        // --seeded DIR: a folder kept by an earlier run (--keep; SQLite only), so a re-run skips generating and seeding.
        var reuse = Str(args, "--seeded");
        var data = reuse ?? Directory.CreateTempSubdirectory("portal-scale-").FullName;
        var database = "portal_scale_" + Guid.NewGuid().ToString("N")[..8];
        var settings = new Dictionary<string, string?>
        {
            ["Portal:DataDirectory"] = data,
            ["Portal:AdminPassword"] = Password,
            ["Libvirt:Uri"] = null,
        };
        if (postgres is not null)
        {
            settings["Database:Provider"] = "PostgreSQL";
            settings["ConnectionStrings:Portal"] = new NpgsqlConnectionStringBuilder(postgres) { Database = database }.ConnectionString;
        }
        Console.WriteLine($"Scale benchmark: {vmCount} generated VMs + 7 demo VMs, {perVm} snapshots each (a tenth with memory), " +
                          $"{auditCount} audit entries, on {(postgres is null ? "SQLite" : "PostgreSQL")}. " +
                          $"{Environment.ProcessorCount} cores, .NET {Environment.Version}, {BuildConfiguration()} build. Data in {data}.");
        try
        {
            var watch = Stopwatch.StartNew();
            WebApplication app;
            if (reuse is null)
            {
                WriteNode(data, vmCount);
                (app, _) = await InProcessPortal.StartAsync(settings);
                Console.WriteLine($"First start adding {vmCount} new domains (migrations, seeding, reconcile): {watch.ElapsedMilliseconds} ms");
                watch.Restart();
                await SeedAsync(app.Services, perVm, auditCount, bigVmSnapshots, args.Contains("--host-records"));
                Console.WriteLine($"Seeded the snapshots and audit entries in {watch.ElapsedMilliseconds} ms");
                await app.StopAsync();
                await app.DisposeAsync();
            }
            if (args.Contains("--seed-only"))
            {
                Console.WriteLine($"Seeded data folder: {data} (run the portal on it with Portal__DataDirectory={data})");
                if (postgres is not null) Console.WriteLine($"Seeded database: {settings["ConnectionStrings:Portal"]}");
                return 0;
            }

            var queriesOnly = args.Contains("--queries-only");
            var storagePages = IntArg(args, "--storage-pages", 0);
            var hostsPages = IntArg(args, "--hosts-pages", 0);
            var auditPages = IntArg(args, "--audit-pages", 0);
            var vmsPages = IntArg(args, "--vms-pages", 0);
            var blankPages = IntArg(args, "--blank-pages", 0);
            (string Path, string Shown, int Count)? burstPages =
                storagePages > 0 ? ("/storage", "[data-testid=storage-grid] tbody tr", storagePages)
                : hostsPages > 0 ? ("/hosts", "[data-testid=hosts-grid] tbody tr", hostsPages)
                : auditPages > 0 ? ("/audit", "[data-testid=audit-row]", auditPages)
                : vmsPages > 0 ? ("/vms", "tr.vm-row", vmsPages)
                : blankPages > 0 ? ("about:blank", "", blankPages)
                : null;
            for (var i = 1; i <= (queriesOnly || burstPages is not null ? 0 : 2); i++)
            {
                var (live, ready) = await ColdStartAsync(settings);
                Console.WriteLine($"Cold start of the portal process on the seeded data (run {i}): first 200 on /healthz {live:F0} ms, on /healthz/ready {ready:F0} ms");
            }

            watch.Restart();
            var circuits = new CircuitCount();
            var batches = new RenderBatchClock();
            (app, var baseUrl) = await InProcessPortal.StartAsync(settings, services: s =>
            {
                s.AddSingleton<Microsoft.AspNetCore.Components.Server.Circuits.CircuitHandler>(circuits);
                batches.Install(s);
            });
            Console.WriteLine($"In-process restart on the seeded data: {watch.ElapsedMilliseconds} ms");
            await using (app)
            {
                // The browser first: the API's 12.5 MiB answers and the caches behind them would otherwise be collected
                // while the pages are measured, and hide what the circuits hold.
                if (burstPages is { } b)
                {
                    await PagesUnderBurstAsync(app.Services, baseUrl, b.Path, b.Shown, b.Count, IntArg(args, "--rate", 20), args.Contains("--warm-up"));
                    await app.StopAsync();
                    return 0;
                }
                if (!queriesOnly) await BrowserAsync(app.Services, baseUrl, pageCounts, pushSamples, bigVmSnapshots, circuits, batches, args.Contains("--pin-cpus"), args.Contains("--quiet"));
                await QueriesAsync(app.Services, bigVmSnapshots);
                if (!queriesOnly) await ApiAsync(baseUrl);
                await app.StopAsync();
            }
            return 0;
        }
        finally
        {
            if (postgres is not null && !args.Contains("--seed-only"))
            {
                NpgsqlConnection.ClearAllPools();
                await using var c = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(postgres) { Database = "postgres" }.ConnectionString);
                await c.OpenAsync();
                await using var cmd = new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{database}\" WITH (FORCE)", c);
                await cmd.ExecuteNonQueryAsync();
            }
            if (!args.Contains("--keep") && !args.Contains("--seed-only") && reuse is null) TryDelete(data);
        }
    }

    /// <summary>The demo node with <paramref name="count"/> more domains, half of them running, a fifth in the legacy cluster.</summary>
    private static void WriteNode(string data, int count)
    {
        var doc = DemoNode.Build(Path.GetFullPath(data));
        var generated = Path.Combine(data, "generated-node.xml");
        DemoNode.WriteNode(generated, Enumerable.Range(0, count).Select(i =>
            new DemoNode.NodeVm($"vm-{i:00000}", Guid.NewGuid(), 256, i % 2 == 0, i % 5 == 0 ? DemoNode.LegacyCluster : DemoNode.ModernCluster)));
        foreach (var d in XDocument.Load(generated).Root!.Elements("domain")) doc.Root!.Add(new XElement(d));
        File.Delete(generated);
        doc.Save(Path.Combine(data, DemoNode.FileName));
    }

    /// <summary>The VM that gets <c>--big-vm-snapshots</c> snapshots instead of <c>--snapshots-per-vm</c>.</summary>
    private const string BigVm = "vm-00001";

    /// <summary>
    /// Snapshots with the VM's real configuration XML (about 2 KB), every tenth with a memory volume row; audit entries.
    /// <paramref name="hostRecords"/> (<c>--host-records</c>): each snapshot also has the record the host keeps of it
    /// (its libvirt name and a snapshot XML holding its VM's own domain, ~2 KB), as the portal's snapshots have; the
    /// host (the embedded one starts from its node file) has none of them, so the next start gives them back.
    /// </summary>
    private static async Task SeedAsync(IServiceProvider services, int perVm, int auditCount, int bigVmSnapshots, bool hostRecords)
    {
        var factory = services.GetRequiredService<IDbContextFactory<PortalDbContext>>();
        List<(Guid Id, string Name)> vms;
        string conf;
        Guid domain;
        Dictionary<Guid, string> own;
        await using (var db = await factory.CreateDbContextAsync())
        {
            vms = (await db.Vms.Select(v => new { v.Id, v.Name }).ToListAsync()).Select(v => (v.Id, v.Name)).ToList();
            conf = await db.Snapshots.Where(s => s.Type == SnapshotType.Active).Select(s => s.ConfigurationXml).FirstAsync();
            own = hostRecords ? await db.Snapshots.Where(s => s.Type == SnapshotType.Active).ToDictionaryAsync(s => s.VmId, s => s.ConfigurationXml!) : [];
            domain = await db.StorageDomains.Where(d => d.Role == StorageRole.Data).Select(d => d.Id).FirstAsync();
        }
        var now = DateTime.UtcNow;
        var n = 0;
        foreach (var chunk in vms.Chunk(250))
        {
            await using var db = await factory.CreateDbContextAsync();
            db.ChangeTracker.AutoDetectChangesEnabled = false;
            foreach (var vm in chunk)
            {
                var count = vm.Name == BigVm ? bigVmSnapshots : perVm;
                for (var j = 0; j < count; j++)
                {
                    var s = new Snapshot
                    {
                        VmId = vm.Id, Description = $"nightly {j + 1}", CreatedAt = now.AddHours(j - count), Type = SnapshotType.Regular,
                        Status = SnapshotStatus.Ok, ConfigurationXml = conf,
                    };
                    if (hostRecords)
                    {
                        s.HypervisorName = s.Id.ToString();
                        s.HypervisorXml = new XElement("domainsnapshot", new XElement("name", s.HypervisorName), new XElement("description", s.Description),
                            new XElement("state", "shutoff"), new XElement("creationTime", new DateTimeOffset(s.CreatedAt).ToUnixTimeSeconds()),
                            XElement.Parse(own[vm.Id])).ToString(SaveOptions.DisableFormatting);
                    }
                    if (n++ % 10 == 0)
                    {
                        var mv = new MemoryVolume
                        {
                            StorageDomainId = domain, DumpPath = $"/seeded/{s.Id}.dump", ConfPath = $"/seeded/{s.Id}.conf", SizeBytes = 256L << 20,
                            CreatedAt = s.CreatedAt, DumpVolumeName = $"{s.Id}-dump", ConfVolumeName = $"{s.Id}-conf",
                        };
                        db.MemoryVolumes.Add(mv);
                        s.MemoryVolumeId = mv.Id;
                    }
                    db.Snapshots.Add(s);
                }
            }
            await db.SaveChangesAsync();
        }
        for (var done = 0; done < auditCount; done += 10_000)
        {
            await using var db = await factory.CreateDbContextAsync();
            db.ChangeTracker.AutoDetectChangesEnabled = false;
            for (var i = done; i < Math.Min(auditCount, done + 10_000); i++)
            {
                var vm = vms[i % vms.Count];
                // A tenth by admin, the rest by 19 operators; one in 100 failed and one in 40 warned (the audit log's
                // filters, measured below, pick these apart).
                var outcome = i % 100 == 0 ? AuditOutcome.Failure : i % 40 == 0 ? AuditOutcome.Warning : AuditOutcome.Success;
                db.AuditEntries.Add(new AuditEntry
                {
                    At = now.AddSeconds(i - auditCount), User = AuditUser(i), VmId = vm.Id, VmName = vm.Name, Operation = "Create snapshot",
                    Outcome = outcome, Message = $"Snapshot 'nightly' creation for VM {vm.Name} has {(outcome == AuditOutcome.Failure ? "failed" : "been completed")}.",
                });
            }
            await db.SaveChangesAsync();
        }
    }

    /// <summary>
    /// <c>--cold-start DIR [--postgres CS] [--runs N]</c>: the cold start alone, N times, on a folder from
    /// <c>--seed-only</c> (with <c>--postgres</c>, CS is the seeded database's, as <c>--seed-only</c> printed it). The
    /// portal is this build's, or the published folder in <c>PORTAL_APP</c> (<c>scripts/publish.sh</c>: ReadyToRun).
    /// </summary>
    private static async Task<int> ColdStartsAsync(string data, string? postgres, int runs)
    {
        var settings = new Dictionary<string, string?>
        {
            ["Portal:DataDirectory"] = data,
            ["Portal:AdminPassword"] = Password,
            ["Database:Provider"] = postgres is null ? null : "PostgreSQL",
            ["ConnectionStrings:Portal"] = postgres,
        };
        Console.WriteLine($"Cold start: `dotnet {PortalDll()}` on {data}, {(postgres is null ? "SQLite" : "PostgreSQL")}; " +
                          $"{Environment.ProcessorCount} cores, .NET {Environment.Version}, load average {File.ReadAllText("/proc/loadavg").Split(' ')[0]}.");
        List<double> lives = [], readies = [];
        for (var i = 1; i <= runs; i++)
        {
            var (live, ready) = await ColdStartAsync(settings);
            lives.Add(live);
            readies.Add(ready);
            Console.WriteLine($"  run {i}: first 200 on /healthz {live:F0} ms, on /healthz/ready {ready:F0} ms");
        }
        Console.WriteLine($"  median: live {Percentile(lives, 50):F0} ms, ready {Percentile(readies, 50):F0} ms");
        return 0;
    }

    /// <summary>From <c>dotnet Portal.dll</c> to the first 200 on <c>/healthz</c> (live: serving) and on <c>/healthz/ready</c> (host reconciled).</summary>
    internal static async Task<(double Live, double Ready)> ColdStartAsync(Dictionary<string, string?> settings)
    {
        await using var portal = PortalProcess.Start(new Dictionary<string, string?>(settings) { ["Libvirt:Uri"] = null });
        var limit = TimeSpan.FromSeconds(300);
        var live = await portal.FirstOkAsync("/healthz", limit);
        return (live, await portal.FirstOkAsync("/healthz/ready", limit));
    }

    private static async Task<List<double>> TimeAsync(int runs, Func<Task> action)
    {
        for (var i = 0; i < 3; i++) await action();
        var times = new List<double>();
        for (var i = 0; i < runs; i++)
        {
            var watch = Stopwatch.StartNew();
            await action();
            times.Add(watch.Elapsed.TotalMilliseconds);
        }
        return times;
    }

    private static string AuditUser(int i) => i % 10 == 0 ? "admin" : $"operator-{i % 19:D2}";

    private static async Task QueriesAsync(IServiceProvider services, int bigVmSnapshots)
    {
        var q = services.GetRequiredService<PortalQueries>();
        var bigVm = (await q.VmPageAsync(new VmGridQuery(0, 1, BigVm))).Items.Single().Id;
        var someVm = (await q.VmPageAsync(new VmGridQuery(0, 25, "vm-0"))).Items[^1].Id;
        Console.WriteLine();
        Console.WriteLine("Queries behind the pages (in process, ms; 3 warm-up runs dropped):");
        Console.WriteLine("| query | p50 | p95 | max | min | mean |");
        Console.WriteLine("|---|---:|---:|---:|---:|---:|");
        Row("VMs grid, first page (25 by name)", await TimeAsync(20, () => q.VmPageAsync(new VmGridQuery(0, 25))));
        Row("VMs grid, page 100 sorted by status", await TimeAsync(20, () => q.VmPageAsync(new VmGridQuery(100, 25, SortBy: VmSort.Status))));
        Row("VMs grid, search 'vm-012' (name/status/cluster/host)", await TimeAsync(20, () => q.VmPageAsync(new VmGridQuery(0, 25, "vm-012"))));
        Row("one VM row (VM page, per event)", await TimeAsync(20, () => q.VmAsync(someVm)));
        Row("snapshots tab of a VM", await TimeAsync(20, () => q.SnapshotsAsync(someVm)));
        Row($"snapshots tab of the VM with {bigVmSnapshots} snapshots", await TimeAsync(20, () => q.SnapshotsAsync(bigVm)));
        Row("audit log, first page (200)", await TimeAsync(20, () => q.AuditAsync(200)));
        var auditVm = (await q.AuditAsync(50)).First(a => a.VmName is not null).VmName;
        foreach (var (what, filter) in new (string, Portal.Core.Audit.AuditFilter)[]
                 {
                     ("failures", new(Outcome: AuditOutcome.Failure)),
                     ("one operator's", new(User: AuditUser(1))),
                     ($"one VM's ({auditVm})", new(VmName: auditVm)),
                     ("admin's failures", new(AuditOutcome.Failure, "admin")),
                     ("one operator's warnings about one VM", new(AuditOutcome.Warning, AuditUser(1), auditVm)),
                     ("a user with no entry", new(User: "nobody")),
                     // The seed's entries are all Create snapshot: an operation with none, and with every entry.
                     ("an operation with no entry (Run VM)", new(Operation: Portal.Core.Audit.AuditOperations.RunVm)),
                     ("the seed's operation (Create snapshot)", new(Operation: Portal.Core.Audit.AuditOperations.CreateSnapshot)),
                     ("failures of Create snapshot", new(AuditOutcome.Failure, Operation: Portal.Core.Audit.AuditOperations.CreateSnapshot)),
                 })
        {
            var older = (await q.AuditAsync(200, filter: filter)).LastOrDefault()?.Id;
            Row($"audit log filtered, {what}: first page", await TimeAsync(20, () => q.AuditAsync(200, filter: filter)));
            if (older is not null) Row($"audit log filtered, {what}: the next page", await TimeAsync(20, () => q.AuditAsync(200, beforeId: older, filter: filter)));
        }
        // The page's "Before (UTC)": the log read back from a time halfway down it (a time-index seek, then by id).
        // The seed writes an entry a second, so half the ids back in seconds is about half the log back.
        var newestEntry = (await q.AuditAsync(1))[0];
        var halfway = new Portal.Core.Audit.AuditFilter(Before: newestEntry.At.AddSeconds(-newestEntry.Id / 2));
        Row("audit log before a time halfway back, first page", await TimeAsync(20, () => q.AuditAsync(200, filter: halfway)));
        var halfwayOlder = (await q.AuditAsync(200, filter: halfway)).LastOrDefault()?.Id;
        if (halfwayOlder is not null) Row("audit log before a time halfway back, the next page", await TimeAsync(20, () => q.AuditAsync(200, beforeId: halfwayOlder, filter: halfway)));
        Row("audit log before a time halfway back, failures", await TimeAsync(20, () => q.AuditAsync(200, filter: halfway with { Outcome = AuditOutcome.Failure })));
        Row("audit log before a time halfway back, one operator's", await TimeAsync(20, () => q.AuditAsync(200, filter: halfway with { User = AuditUser(1) })));

        // GET /events?from=I (a poller's question): the 50 newest entries of the log, plainly and with a search.
        var newest = (await q.AuditAsync(1))[0].Id;
        Portal.Core.Search.CollectionSearch<AuditEntry> Events(string search) =>
            new Portal.Core.Search.CollectionSearch<AuditEntry>(Portal.Core.Search.SearchQuery.Parse(search), Portal.Core.Search.PortalSearches.Events, Max: 100).Validated();
        Row("events since an index, 50 new (API from=)", await TimeAsync(20, () => q.SearchAuditAsync(Events(""), newest - 50)));
        Row($"events since an index, 50 new, vm.name={auditVm}", await TimeAsync(20, () => q.SearchAuditAsync(Events($"vm.name={auditVm}"), newest - 50)));
        Row("events since an index, 50 new, severity=error", await TimeAsync(20, () => q.SearchAuditAsync(Events("severity=error"), newest - 50)));
        Row("storage domains (memory counted, first VM names, each pool asked of libvirt)", await TimeAsync(20, () => q.StorageDomainRowsAsync()));
        var memoryDomain = (await q.StorageDomainRowsAsync()).OrderByDescending(d => d.MemoryVolumes + d.MissingMemoryVolumes).First();
        Row($"memory volumes of {memoryDomain.Name} ({memoryDomain.MemoryVolumes + memoryDomain.MissingMemoryVolumes:N0}), first page (25, largest first)",
            await TimeAsync(20, () => q.MemoryVolumePageAsync(new MemoryVolumeQuery(memoryDomain.Id, 0, 25))));
        Row("memory volumes, page 100 by VM", await TimeAsync(20, () => q.MemoryVolumePageAsync(new MemoryVolumeQuery(memoryDomain.Id, 100, 25, SortBy: MemoryVolumeSort.Vm))));
        Row("memory volumes, newest first", await TimeAsync(20, () => q.MemoryVolumePageAsync(new MemoryVolumeQuery(memoryDomain.Id, 0, 25, SortBy: MemoryVolumeSort.Saved))));
        Row("memory volumes, search 'vm-012' (VM or snapshot)", await TimeAsync(20, () => q.MemoryVolumePageAsync(new MemoryVolumeQuery(memoryDomain.Id, 0, 25, "vm-012"))));
        Row("data domains a dialog offers (each pool asked of libvirt)", await TimeAsync(20, () => q.StorageDomainChoicesAsync(Portal.Core.Storage.StorageRole.Data)));
        Row("hosts (VMs and running VMs counted per host)", await TimeAsync(20, () => q.HostRowsAsync()));
        Row("every VM row (VmsAsync, unpaged)", await TimeAsync(5, () => q.VmsAsync()));
    }

    /// <summary>
    /// <c>--storage-pages N [--rate R]</c>: N signed-in Storage domains pages open while audit entries of an
    /// operation that touches storage are written R a second for 10 s (as a script's burst of snapshots would).
    /// <c>--hosts-pages N [--rate R]</c>: N Hosts pages open while R running VMs a second are stopped on the
    /// host (libvirt's events, as a script's would). <c>--audit-pages N</c>: N Audit log pages during the audit entries
    /// burst. <c>--vms-pages N</c>: N VMs pages while <c>build-agent</c>, a row on their first page, is stopped and started
    /// R times a second; <c>--blank-pages N</c>: the same changes with N about:blank pages (Chromium's own cost, and the
    /// portal's for a change no page shows). <c>--warm-up</c>: one burst before the measured windows. Each against 10 s
    /// with the same pages idle; reports the CPU of the portal (this process: the in-process portal and Playwright's
    /// client) and of Chromium's processes in each window.
    /// </summary>
    private static async Task PagesUnderBurstAsync(IServiceProvider services, string baseUrl, string path, string shown, int count, int rate, bool warmUp)
    {
        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(ChromiumOptions());
        var state = await SignedInStateAsync(browser, baseUrl);
        var contexts = new List<IBrowserContext>();
        for (var i = 0; i < count; i++)
        {
            var context = await browser.NewContextAsync(new() { BaseURL = baseUrl, StorageState = state });
            var page = await context.NewPageAsync();
            await page.GotoAsync(path);
            if (shown.Length > 0)
            {
                await page.Locator("#portal-main[data-interactive='true']").WaitForAsync();
                await page.Locator(shown).First.WaitForAsync();
            }
            contexts.Add(context);
        }
        var audit = services.GetRequiredService<AuditLog>();
        var hypervisor = services.GetRequiredService<IHypervisor>();
        // Generated VMs that run (every second one): each is stopped, then started again.
        var vms = (await hypervisor.ListDomainsAsync()).Where(d => d.Name.StartsWith("vm-", StringComparison.Ordinal) && d.State == DomainRunState.Running)
            .Select(d => d.Id).Take(10 * rate).ToList();
        async Task<(double Portal, double Chromium)> WindowAsync(Func<int, Task>? step)
        {
            await Task.Delay(2000);
            var before = CpuMsByGroup();
            var watch = Stopwatch.StartNew();
            for (var i = 0; i < 10 * rate; i++)
            {
                if (step is not null) await step(i);
                var due = TimeSpan.FromSeconds((i + 1) / (double)rate) - watch.Elapsed;
                if (due > TimeSpan.Zero) await Task.Delay(due);
            }
            await Task.Delay(2000); // the reloads the last changes started
            var after = CpuMsByGroup();
            return (after["portal"] - before["portal"], after["chromium"] - before["chromium"]);
        }
        var agentDomain = (await hypervisor.ListDomainsAsync()).Single(d => d.Name == "build-agent");
        var (agent, agentUp) = (agentDomain.Id, agentDomain.State == DomainRunState.Running ? 0 : 1);
        Func<int, Task> burst = path is "/vms" or "about:blank" ? i => i % 2 == agentUp ? hypervisor.DestroyAsync(agent) : hypervisor.StartAsync(agent)
            : path is "/hosts"
            ? i => hypervisor.DestroyAsync(vms[i % vms.Count])
            : i => audit.WriteAsync("admin", null, null, "Remove memory volume", AuditOutcome.Success, $"benchmark entry {i}");
        // --warm-up: one burst first, so that the JIT's tier-up of the paths a change takes is not counted in the burst.
        if (warmUp) await WindowAsync(burst);
        var idle = await WindowAsync(null);
        var busy = await WindowAsync(burst);
        if (path == "/hosts") foreach (var vm in vms) await hypervisor.StartAsync(vm);
        Console.WriteLine($"{count} pages on {path}; 10 s idle + 2 s: portal process CPU {idle.Portal:F0} ms, Chromium {idle.Chromium:F0} ms; " +
                          $"10 s of {rate} changes a second + 2 s: portal {busy.Portal:F0} ms ({(busy.Portal - idle.Portal) / (10.0 * rate):F1} ms per change), " +
                          $"Chromium {busy.Chromium:F0} ms ({(busy.Chromium - idle.Chromium) / (10.0 * rate):F1} ms per change)");
        foreach (var c in contexts) await CloseAsync(c);
    }

    private static async Task ApiAsync(string baseUrl)
    {
        using var http = new HttpClient { BaseAddress = new Uri(baseUrl) };
        var token = await http.PostAsync("/ovirt-engine/sso/oauth/token", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "password", ["username"] = "admin@internal", ["password"] = Password, ["scope"] = "ovirt-app-api",
        }));
        token.EnsureSuccessStatusCode();
        var access = JsonDocument.Parse(await token.Content.ReadAsStringAsync()).RootElement.GetProperty("access_token").GetString();
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", access);
        http.DefaultRequestHeaders.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        long bytes = 0;
        Func<string, Func<Task>> get = path => async () =>
        {
            using var r = await http.GetAsync(path);
            r.EnsureSuccessStatusCode();
            bytes = (await r.Content.ReadAsByteArrayAsync()).LongLength;
        };
        Console.WriteLine();
        Console.WriteLine("API over loopback with a bearer token (ms, client-side, sequential):");
        Console.WriteLine("| request | p50 | p95 | max | min | mean |");
        Console.WriteLine("|---|---:|---:|---:|---:|---:|");
        Row("GET /vms (every VM)", await TimeAsync(10, get("/ovirt-engine/api/vms")));
        var all = bytes;
        Row("GET /vms?max=100", await TimeAsync(20, get("/ovirt-engine/api/vms?max=100")));
        Row("GET /vms?search=page 10&max=100", await TimeAsync(20, get("/ovirt-engine/api/vms?search=page%2010&max=100")));
        Console.WriteLine($"(GET /vms body: {all / 1024.0 / 1024.0:F1} MiB)");
    }

    private static async Task BrowserAsync(IServiceProvider services, string baseUrl, int[] pageCounts, int pushSamples, int bigVmSnapshots,
        CircuitCount circuits, RenderBatchClock batches, bool pinCpus, bool quiet)
    {
        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(ChromiumOptions());
        if (pinCpus) await PinCpusAsync();
        var state = await SignedInStateAsync(browser, baseUrl);

        Console.WriteLine();
        var firstRow = new List<double>();
        var interactive = new List<double>();
        var serverHtml = new List<double>();
        (int Rows, int Nodes, long Html) dom = default;
        for (var i = 0; i < 6; i++)
        {
            var context = await browser.NewContextAsync(new() { BaseURL = baseUrl, StorageState = state });
            var page = await context.NewPageAsync();
            var watch = Stopwatch.StartNew();
            // Commit, not load: the first row counts when it is on screen, not when every script has loaded too.
            var response = await page.GotoAsync("/vms", new() { WaitUntil = WaitUntilState.Commit });
            await page.Locator("tr.vm-row").First.WaitForAsync();
            var row = watch.Elapsed.TotalMilliseconds;
            var html = (await response!.BodyAsync()).LongLength;
            await page.Locator("#portal-main[data-interactive='true']").WaitForAsync();
            if (i > 0) { firstRow.Add(row); interactive.Add(watch.Elapsed.TotalMilliseconds); serverHtml.Add(await HtmlTimeAsync(page)); }
            dom = (await page.Locator("tr.vm-row").CountAsync(), await page.EvaluateAsync<int>("() => document.getElementsByTagName('*').length"), html);
            await CloseAsync(context);
        }
        Console.WriteLine("VMs page in Chromium (ms from navigation; 1 warm-up dropped):");
        Console.WriteLine("| | p50 | p95 | max | min | mean |");
        Console.WriteLine("|---|---:|---:|---:|---:|---:|");
        Row("server: request -> last byte of the prerendered page", serverHtml);
        Row("first VM row visible", firstRow);
        Row("interactive (circuit up)", interactive);
        Console.WriteLine($"Rows in the DOM: {dom.Rows}; DOM elements: {dom.Nodes}; prerendered HTML: {dom.Html / 1024.0:F1} KiB");

        // The VM page of the VM with the most snapshots: the Snapshots tab is the first one.
        var bigVm = (await services.GetRequiredService<PortalQueries>().VmPageAsync(new VmGridQuery(0, 1, BigVm))).Items.Single().Id;
        var snapshotRows = new List<double>();
        var snapshotServer = new List<double>();
        var allSnapshotRows = new List<double>();
        var snapshotHtml = 0L;
        for (var i = 0; i < 6; i++)
        {
            var context = await browser.NewContextAsync(new() { BaseURL = baseUrl, StorageState = state });
            var page = await context.NewPageAsync();
            var watch = Stopwatch.StartNew();
            var response = await page.GotoAsync($"/vms/{bigVm}", new() { WaitUntil = WaitUntilState.Commit });
            await page.Locator("tr.snapshot-row").First.WaitForAsync();
            var firstSnapshot = watch.Elapsed.TotalMilliseconds;
            await page.Locator("tr.snapshot-row").Nth(bigVmSnapshots).WaitForAsync();
            if (i > 0) { snapshotRows.Add(firstSnapshot); allSnapshotRows.Add(watch.Elapsed.TotalMilliseconds); snapshotServer.Add(await HtmlTimeAsync(page)); }
            snapshotHtml = (await response!.BodyAsync()).LongLength;
            await CloseAsync(context);
        }
        Console.WriteLine();
        Console.WriteLine($"VM page of {BigVm} ({bigVmSnapshots} snapshots + Active) in Chromium (ms from navigation; 1 warm-up dropped; prerendered HTML {snapshotHtml / 1024.0:F1} KiB):");
        Console.WriteLine("| | p50 | p95 | max | min | mean |");
        Console.WriteLine("|---|---:|---:|---:|---:|---:|");
        Row("server: request -> last byte of the prerendered page", snapshotServer);
        Row("first snapshot row visible", snapshotRows);
        Row($"all {bigVmSnapshots + 1} snapshot rows", allSnapshotRows);

        var hypervisor = services.GetRequiredService<IHypervisor>();
        var locks = services.GetRequiredService<VmLocks>();
        var vm = (await hypervisor.ListDomainsAsync()).Single(d => d.Name == "build-agent").Id;
        foreach (var count in pageCounts)
        {
            // Every earlier page's circuit is gone (closed with its unload beacon), so the difference is these pages' own.
            await circuits.WaitForAsync(0);
            await Task.Delay(3000);
            var before = Measure();
            var contexts = new List<IBrowserContext>();
            var pages = new List<IPage>();
            for (var i = 0; i < count; i++)
            {
                var context = await browser.NewContextAsync(new() { BaseURL = baseUrl, StorageState = state });
                var page = await context.NewPageAsync();
                await page.GotoAsync("/vms");
                await page.Locator("#portal-main[data-interactive='true']").WaitForAsync();
                await page.Locator("[data-testid='vm-build-agent-status']").WaitForAsync();
                contexts.Add(context);
                pages.Add(page);
            }
            await circuits.WaitForAsync(count);
            await Task.Delay(1000);
            var after = Measure();
            // SCALE_PAUSE_FILE=F: hold the pages open (for dotnet-gcdump on this process) until F exists.
            if (Environment.GetEnvironmentVariable("SCALE_PAUSE_FILE") is { Length: > 0 } pause)
            {
                Console.WriteLine($"{count} pages open; process {Environment.ProcessId}; waiting for {pause}");
                while (!File.Exists(pause)) await Task.Delay(500);
                File.Delete(pause);
            }
            Console.WriteLine();
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{count} open VMs page(s): per circuit {(after.Rss - before.Rss) / 1024.0 / count:F0} KB resident, {(after.Heap - before.Heap) / 1024.0 / count:F0} KB managed heap (after a forced GC)"));

            // Push: libvirt event -> the chip's text in every open page.
            var latencies = new List<double>();
            // Where the time goes: libvirt call -> the portal's status event (server), and that event -> each page.
            var published = new List<double>();
            var toPages = new List<double>();
            double publishedAt = 0;
            using var subscription = services.GetRequiredService<PortalNotifier>().Subscribe(e =>
            {
                if (e is VmStatusChanged { To: VmStatus.Up or VmStatus.Down } changed && changed.VmId == vm) publishedAt = Clock.NowMs();
            });
            // When each page's browser received the server's WebSocket frames (Chromium's network service, before the page's
            // renderer runs any script): splits "the server sent it" from "50 renderers on these 2 cores applied it".
            var frames = new List<ConcurrentQueue<double>>();
            foreach (var page in pages)
            {
                await page.EvaluateAsync(RecorderScript, "[data-testid='vm-build-agent-status']");
                var received = new ConcurrentQueue<double>();
                frames.Add(received);
                if (quiet) continue;
                var cdp = await page.Context.NewCDPSessionAsync(page);
                cdp.Event("Network.webSocketFrameReceived").OnEvent += (_, e) =>
                {
                    if (e is { } json && json.TryGetProperty("timestamp", out var t)) received.Enqueue(MonotonicToClockMs(t.GetDouble()));
                };
                await cdp.SendAsync("Network.enable");
            }
            // The server's side: the status event -> each circuit's render batch written to its connection.
            var toWritten = new List<double>();
            var lastWritten = new List<double>();
            var batchCounts = new List<int>();
            var toSockets = new List<double>();
            var socketToText = new List<double>();
            // CPU used per status event (user + system, from /proc): this process (the portal, and Playwright's .NET client
            // with the CDP events above), Chromium's processes, and Playwright's driver. Which of them the 2 cores went to.
            var cpu = new Dictionary<string, double> { ["portal"] = 0, ["chromium"] = 0, ["driver"] = 0 };
            for (var i = 0; i < pushSamples * 2; i++)
            {
                var up = i % 2 == 0;
                var text = up ? "Up" : "Down";
                foreach (var page in pages) await page.EvaluateAsync("() => { window.__latency.length = 0; }");
                var cpuBefore = CpuMsByGroup();
                batches.Drain();
                var call = Clock.NowMs();
                if (up) await hypervisor.StartAsync(vm); else await hypervisor.DestroyAsync(vm);
                // --quiet: nothing of the benchmark runs in the browsers while they apply the change (no CDP frame capture,
                // no polling); each page's own stamp is read once they are done.
                if (quiet) await Task.Delay(QuietSettle);
                for (var p = 0; p < pages.Count; p++)
                {
                    var changed = await pages[p].WaitForFunctionAsync("text => window.__latency.find(x => x.text === text)?.t ?? false", text, new() { Timeout = 60_000 });
                    var shown = await changed.JsonValueAsync<double>();
                    latencies.Add(shown - call);
                    toPages.Add(shown - publishedAt);
                    // The frame that carried the change: the last one this page's browser received before its text changed.
                    var frame = frames[p].Where(f => f >= publishedAt && f <= shown + 1).DefaultIfEmpty(double.NaN).Max();
                    if (!double.IsNaN(frame)) { toSockets.Add(frame - publishedAt); socketToText.Add(shown - frame); }
                    frames[p].Clear();
                }
                published.Add(publishedAt - call);
                var written = batches.Drain().Where(t => t >= publishedAt).Select(t => t - publishedAt).ToList();
                toWritten.AddRange(written);
                if (written.Count > 0) lastWritten.Add(written.Max());
                batchCounts.Add(written.Count);
                foreach (var (group, ms) in CpuMsByGroup()) cpu[group] += ms - cpuBefore.GetValueOrDefault(group);
                await Task.Delay(250);
                while (locks.HeldBy(vm) is not null) await Task.Delay(5);
            }
            Console.WriteLine($"Push latency with {count} page(s), libvirt call -> chip text in each page, {latencies.Count} samples (ms):");
            Console.WriteLine("| pages | p50 | p95 | max | min | mean |");
            Console.WriteLine("|---|---:|---:|---:|---:|---:|");
            Row(count.ToString(CultureInfo.InvariantCulture), latencies);
            Row("  of which: libvirt call -> portal status event", published);
            Row("  of which: portal status event -> text in the page", toPages);
            Row("    of which: event -> the circuit's render batch written to its connection (server)", toWritten);
            Row("    of which: event -> the last circuit's render batch written, per event (server)", lastWritten);
            if (!quiet)
            {
                Row("    of which: event -> the update's WebSocket frame at the page's browser", toSockets);
                Row("    of which: frame at the browser -> text changed in the page", socketToText);
            }
            Console.WriteLine($"Render batches written per event (status event -> every page showed it): {string.Join(", ", batchCounts.Distinct().Order())} for {count} circuit(s)");
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"CPU per status event ({pushSamples * 2} events, from the call until every page showed it): portal process {cpu["portal"] / (pushSamples * 2):F0} ms, " +
                $"Chromium {cpu["chromium"] / (pushSamples * 2):F0} ms, Playwright driver {cpu["driver"] / (pushSamples * 2):F0} ms"));
            foreach (var context in contexts) await CloseAsync(context);
        }
    }

    /// <summary>How long --quiet leaves the pages alone after the libvirt call before reading their stamps.</summary>
    private static readonly TimeSpan QuietSettle = TimeSpan.FromMilliseconds(2500);

    /// <summary>
    /// --pin-cpus: this process (the portal, with Playwright's .NET client) on the first core, Chromium's processes and
    /// Playwright's driver on the others, every thread (taskset -a; processes they start later inherit it). A stand-in for
    /// browsers on other machines: the portal keeps its core whatever the 50 renderers do.
    /// </summary>
    private static async Task PinCpusAsync()
    {
        if (Environment.ProcessorCount < 2) throw new InvalidOperationException("--pin-cpus needs at least 2 cores.");
        var others = $"1-{Environment.ProcessorCount - 1}";
        await TasksetAsync("0", Environment.ProcessId);
        // This process's descendants: Playwright's driver and the Chromium it launched.
        var parents = new Dictionary<int, int>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid)) continue;
            try
            {
                var stat = File.ReadAllText(Path.Combine(dir, "stat"));
                parents[pid] = int.Parse(stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[1], CultureInfo.InvariantCulture);
            }
            catch (IOException) { }
        }
        bool Descends(int pid) => parents.TryGetValue(pid, out var parent) && parent > 1 && (parent == Environment.ProcessId || Descends(parent));
        var children = parents.Keys.Where(Descends).ToList();
        foreach (var pid in children) await TasksetAsync(others, pid);
        Console.WriteLine($"Pinned: the portal's process to core 0, {children.Count} Chromium/driver processes to cores {others}.");
    }

    private static async Task TasksetAsync(string cpus, int pid)
    {
        using var taskset = Process.Start(new ProcessStartInfo("taskset", ["-a", "-c", "-p", cpus, pid.ToString(CultureInfo.InvariantCulture)])
            { RedirectStandardOutput = true, RedirectStandardError = true })!;
        await taskset.WaitForExitAsync();
        if (taskset.ExitCode != 0) throw new InvalidOperationException($"taskset {cpus} {pid}: {await taskset.StandardError.ReadToEndAsync()}");
    }

    /// <summary>CPU time (user + system) so far of this process, of Chromium's processes and of Playwright's node driver, in ms.</summary>
    private static Dictionary<string, double> CpuMsByGroup()
    {
        var result = new Dictionary<string, double> { ["portal"] = 0, ["chromium"] = 0, ["driver"] = 0 };
        var me = Environment.ProcessId;
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid)) continue;
            try
            {
                var stat = File.ReadAllText(Path.Combine(dir, "stat"));
                var comm = stat[(stat.IndexOf('(') + 1)..stat.LastIndexOf(')')];
                var group = pid == me ? "portal" : comm.StartsWith("chromium", StringComparison.Ordinal) || comm.StartsWith("chrome", StringComparison.Ordinal) ? "chromium"
                    : comm is "node" or "MainThread" && File.ReadAllText(Path.Combine(dir, "cmdline")).Contains("playwright", StringComparison.Ordinal) ? "driver" : null;
                if (group is null) continue;
                var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                // utime and stime are fields 14 and 15 of stat (11 and 12 after the command), in clock ticks of 10 ms.
                result[group] += (long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture)) * 10.0;
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException) { }
        }
        return result;
    }

    /// <summary>
    /// A CDP MonotonicTime (seconds of Chromium's TimeTicks, CLOCK_MONOTONIC on Linux) on <see cref="Clock"/>'s scale;
    /// Stopwatch reads the same clock on Linux (nanoseconds).
    /// </summary>
    private static double MonotonicToClockMs(double seconds) =>
        Clock.NowMs() - (Stopwatch.GetTimestamp() * 1000.0 / Stopwatch.Frequency - seconds * 1000.0);

    /// <summary>Where a start on a seeded data folder (<c>--seed-only</c>) spends its time, phase by phase.</summary>
    private static async Task<int> StartupPhasesAsync(string data, string? postgres)
    {
        var builder = Microsoft.Extensions.Hosting.Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["Portal:DataDirectory"] = data });
        if (postgres is not null)
        {
            builder.Configuration["Database:Provider"] = "PostgreSQL";
            builder.Configuration["ConnectionStrings:Portal"] = postgres;
        }
        builder.AddPortalCore();
        using var host = builder.Build();
        var watch = Stopwatch.StartNew();
        void Phase(string name) { Console.WriteLine($"  {name}: {watch.ElapsedMilliseconds} ms"); watch.Restart(); }
        _ = host.Services.GetRequiredService<PortalConnection>();
        Phase("configuration");
        await using (var db = await host.Services.GetRequiredService<IDbContextFactory<PortalDbContext>>().CreateDbContextAsync())
            _ = await db.Database.GetPendingMigrationsAsync();
        Phase("pending migrations read (EF services, history table)");
        await PortalStartup.OpenDatabaseAsync(host.Services);
        Phase("the rest of PortalStartup.OpenDatabaseAsync (migrate if pending, WAL, host rows): the portal listens after this");
        await using (var db = await host.Services.GetRequiredService<IDbContextFactory<PortalDbContext>>().CreateDbContextAsync())
            _ = await db.Vms.CountAsync();
        Phase("first query (EF model build)");
        await host.Services.GetRequiredService<HostConnections>().OpenPrimaryAsync();
        Phase("libvirt open (test driver node with its domain files), in the background from here");
        await PortalStartup.ConnectHostsAsync(host.Services);
        Phase("the rest of PortalStartup.ConnectHostsAsync (seed, load, reconcile, memory volumes, recovery)");
        await host.Services.GetRequiredService<VmInventory>().ReconcileAsync();
        Phase("a second reconcile (nothing to add)");
        await host.StartAsync();
        Phase("hosted services started");
        await host.StopAsync();
        return 0;
    }

    /// <summary>The admin signed in through the login page: the browser state that new contexts start from.</summary>
    internal static async Task<string> SignedInStateAsync(IBrowser browser, string baseUrl)
    {
        var signIn = await browser.NewContextAsync(new() { BaseURL = baseUrl });
        var page = await signIn.NewPageAsync();
        await page.GotoAsync("/account/login");
        await page.GetByLabel("User name", new() { Exact = true }).FillAsync("admin");
        await page.GetByLabel("Password", new() { Exact = true }).FillAsync(Password);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await page.WaitForURLAsync("**/vms");
        var state = await signIn.StorageStateAsync();
        await signIn.CloseAsync();
        return state;
    }

    /// <summary>Closes a context's pages as a user closing the tab would: Blazor's unload beacon ends the circuit at once.</summary>
    internal static async Task CloseAsync(IBrowserContext context)
    {
        foreach (var page in context.Pages.ToList()) await page.CloseAsync(new() { RunBeforeUnload = true });
        await Task.Delay(100);
        await context.CloseAsync();
    }

    /// <summary>From the request to the last byte of the page's HTML, as the browser's navigation timing saw it.</summary>
    private static Task<double> HtmlTimeAsync(IPage page) =>
        page.EvaluateAsync<double>("() => { const n = performance.getEntriesByType('navigation')[0]; return n.responseEnd - n.requestStart; }");

    /// <summary>The circuits open in the portal, counted by a circuit handler registered in it.</summary>
    private sealed class CircuitCount : Microsoft.AspNetCore.Components.Server.Circuits.CircuitHandler
    {
        private long _open;

        public override Task OnCircuitOpenedAsync(Microsoft.AspNetCore.Components.Server.Circuits.Circuit circuit, CancellationToken ct)
        {
            Interlocked.Increment(ref _open);
            return Task.CompletedTask;
        }

        public override Task OnCircuitClosedAsync(Microsoft.AspNetCore.Components.Server.Circuits.Circuit circuit, CancellationToken ct)
        {
            Interlocked.Decrement(ref _open);
            return Task.CompletedTask;
        }

        /// <summary>Waits until exactly <paramref name="count"/> circuits are open (at most 4 minutes: a circuit whose
        /// page left without its beacon is kept for Blazor's retention period).</summary>
        public async Task WaitForAsync(long count)
        {
            var watch = Stopwatch.StartNew();
            while (Interlocked.Read(ref _open) != count)
            {
                if (watch.Elapsed > TimeSpan.FromMinutes(4))
                {
                    Console.WriteLine($"(circuits open: {Interlocked.Read(ref _open)}, expected {count}; measuring anyway)");
                    return;
                }
                await Task.Delay(100);
            }
        }
    }

    private static (long Rss, long Heap) Measure()
    {
        for (var i = 0; i < 2; i++)
        {
            GC.Collect(2, GCCollectionMode.Aggressive, blocking: true, compacting: true);
            GC.WaitForPendingFinalizers();
        }
        using var self = Process.GetCurrentProcess();
        self.Refresh();
        return (self.WorkingSet64, GC.GetTotalMemory(forceFullCollection: true));
    }

}
