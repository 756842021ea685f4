using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Xml.Linq;
using Microsoft.EntityFrameworkCore;
using Portal.Core.Snapshots;
using Portal.Core.Storage;
using Portal.Core.Vms;
using Portal.E2E.Infrastructure;

namespace Portal.E2E.Reliability;

/// <summary>
/// One portal of the kill drill, driven through its REST API (JSON, Basic admin), with the backend read from its
/// SQLite database and from the embedded host's node files (which the portal writes back after every change).
/// </summary>
public sealed class DrillPortal(PortalProcess process)
{
    public PortalProcess Process => process;
    public PortalDatabase Db { get; } = new(process.DatabasePath);

    private HttpRequestMessage Request(HttpMethod method, string path, object? body)
    {
        var request = new HttpRequestMessage(method, "/ovirt-engine/api" + path);
        request.Headers.Authorization = new AuthenticationHeaderValue("Basic",
            Convert.ToBase64String(Encoding.UTF8.GetBytes($"{process.AdminUser}@internal:{process.AdminPassword}")));
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        if (body is not null) request.Content = JsonContent.Create(body);
        return request;
    }

    /// <summary>Sends a request; the reply, or null when the portal died before it answered (a crash point).</summary>
    public async Task<HttpResponseMessage?> TrySendAsync(HttpMethod method, string path, object? body = null, bool waitForCompletion = true)
    {
        using var request = Request(method, path, body);
        // A snapshot request answers 202 at once unless asked to wait for the finished snapshot.
        if (waitForCompletion) request.Headers.TryAddWithoutValidation("Expect", "201-created");
        try { return await process.Http.SendAsync(request); }
        catch (HttpRequestException) { return null; }
        catch (TaskCanceledException) { return null; }
        // HttpClient sends an idempotent request again on a new connection when the reused one was reset before any
        // reply; a process that is dying can accept that connection and drop it, which .NET reports unwrapped.
        catch (System.Net.Sockets.SocketException) { return null; }
    }

    /// <summary>Sends a request that must succeed; returns the reply's JSON (null for an empty body).</summary>
    public async Task<JsonNode?> SendAsync(HttpMethod method, string path, object? body = null)
    {
        var reply = await TrySendAsync(method, path, body) ?? throw new InvalidOperationException($"{method} {path}: the portal did not answer.\n{process.Dump()}");
        var text = await reply.Content.ReadAsStringAsync();
        if (!reply.IsSuccessStatusCode) throw new InvalidOperationException($"{method} {path}: {(int)reply.StatusCode} {text}");
        return text.Length == 0 ? null : JsonNode.Parse(text);
    }

    public Task<JsonNode?> PostAsync(string path, object? body = null) => SendAsync(HttpMethod.Post, path, body ?? new { });
    public Task<JsonNode?> DeleteAsync(string path) => SendAsync(HttpMethod.Delete, path);

    // ---- the operations, by name ----

    public async Task<Guid> VmIdAsync(string name)
    {
        await using var db = Db.Open();
        return await db.Vms.Where(v => v.Name == name).Select(v => v.Id).SingleAsync();
    }

    public async Task<Guid?> TryVmIdAsync(string name)
    {
        await using var db = Db.Open();
        return await db.Vms.Where(v => v.Name == name).Select(v => (Guid?)v.Id).SingleOrDefaultAsync();
    }

    public async Task<VmStatus> StatusAsync(string vm)
    {
        await using var db = Db.Open();
        return await db.Vms.Where(v => v.Name == vm).Select(v => v.Status).SingleAsync();
    }

    public async Task<Guid> SnapshotAsync(string vm, string description, bool memory = true)
    {
        var reply = await PostAsync($"/vms/{await VmIdAsync(vm)}/snapshots", new { description, persist_memorystate = memory });
        return Guid.Parse((string)reply!["id"]!);
    }

    public async Task StopAsync(string vm) => await PostAsync($"/vms/{await VmIdAsync(vm)}/stop");
    public async Task StartAsync(string vm) => await PostAsync($"/vms/{await VmIdAsync(vm)}/start");

    public async Task PreviewAsync(string vm, Guid snapshot, bool restoreMemory = true) =>
        await PostAsync($"/vms/{await VmIdAsync(vm)}/previewsnapshot", new { snapshot = new { id = snapshot }, restore_memory = restoreMemory });

    public async Task<bool> InPreviewAsync(string vm)
    {
        await using var db = Db.Open();
        var id = await VmIdAsync(vm);
        return await db.Snapshots.AnyAsync(s => s.VmId == id && s.Status == SnapshotStatus.InPreview);
    }

    /// <summary>The VM's newest regular snapshot, or null.</summary>
    public async Task<Guid?> NewestSnapshotAsync(string vm)
    {
        await using var db = Db.Open();
        var id = await VmIdAsync(vm);
        return (await db.Snapshots.Where(s => s.VmId == id && s.Type == SnapshotType.Regular).ToListAsync())
            .OrderByDescending(s => s.CreatedAt).Select(s => (Guid?)s.Id).FirstOrDefault();
    }

    public async Task<Guid> DomainIdAsync(string name)
    {
        await using var db = Db.Open();
        return await db.StorageDomains.Where(d => d.Name == name).Select(d => d.Id).SingleAsync();
    }

    public async Task<Guid?> TryDomainIdAsync(string name)
    {
        await using var db = Db.Open();
        return await db.StorageDomains.Where(d => d.Name == name).Select(d => (Guid?)d.Id).SingleOrDefaultAsync();
    }

    public async Task<Guid?> TryHostIdAsync(string name)
    {
        await using var db = Db.Open();
        return await db.Hosts.Where(h => h.Name == name).Select(h => (Guid?)h.Id).SingleOrDefaultAsync();
    }

    // ---- the invariants ----

    /// <summary>
    /// What must hold after any restart: exactly one Active snapshot per VM; no Locked snapshot and no VM in a transitional
    /// status; nothing left in the journal; every memory volume row held by a snapshot (the orphan collector removes the
    /// others) and on the host; no memory volume on the host the database does not know; a VM for every domain of the
    /// embedded host and a domain for every VM the portal thinks is there. Returns the violations.
    /// </summary>
    public async Task<IReadOnlyList<string>> ViolationsAsync()
    {
        var problems = (await DatabaseViolationsAsync()).ToList();
        await using var db = Db.Open();
        var vms = await db.Vms.ToListAsync();
        var memory = await db.MemoryVolumes.Include(m => m.StorageDomain).ToListAsync();
        // The host, as the embedded test driver writes it back.
        var node = Path.Combine(process.DataDirectory, "demo-node.d");
        var dataPools = await db.StorageDomains.Where(d => d.Role == StorageRole.Data).Select(d => d.PoolName).ToListAsync();
        var known = memory.SelectMany(m => new[] { m.DumpVolumeName, m.ConfVolumeName }).ToHashSet();
        foreach (var pool in dataPools)
        {
            var onHost = PoolVolumes(Path.Combine(node, "pools", pool + ".xml"));
            foreach (var m in memory.Where(m => m.StorageDomain!.PoolName == pool))
                foreach (var v in new[] { m.DumpVolumeName, m.ConfVolumeName }.Where(v => !onHost.Contains(v)))
                    problems.Add($"Memory volume {m.Id}'s volume {v} is not on the host (pool {pool}).");
            foreach (var v in onHost.Where(v => Guid.TryParse(v, out _) && !known.Contains(v)))
                problems.Add($"The host's pool {pool} holds volume {v}, which no memory volume row knows.");
        }
        var primary = await db.Hosts.Where(h => h.Name == "embedded-test-host").Select(h => h.Id).SingleAsync();
        var domains = Directory.Exists(Path.Combine(node, "domains"))
            ? Directory.GetFiles(Path.Combine(node, "domains"), "*.xml").Select(f => Guid.Parse(Path.GetFileNameWithoutExtension(f))).ToHashSet()
            : [];
        var mine = vms.Where(v => v.HostId == primary || v.HostId is null).ToList();
        foreach (var d in domains.Where(d => mine.All(v => v.Id != d))) problems.Add($"The host has domain {d}, which no VM row knows.");
        foreach (var v in mine.Where(v => !v.IsMissingOnHost && !domains.Contains(v.Id))) problems.Add($"VM {v.Name} has no domain on the host.");
        return problems;
    }

    /// <summary>The invariants the database alone can tell, whatever the host.</summary>
    public async Task<IReadOnlyList<string>> DatabaseViolationsAsync()
    {
        var problems = new List<string>();
        await using var db = Db.Open();
        var vms = await db.Vms.Include(v => v.Snapshots).AsSplitQuery().ToListAsync();
        foreach (var vm in vms)
        {
            var actives = vm.Snapshots.Count(s => s.Type == SnapshotType.Active);
            if (actives != 1) problems.Add($"VM {vm.Name} has {actives} Active snapshots.");
            foreach (var s in vm.Snapshots.Where(s => s.Status == SnapshotStatus.Locked)) problems.Add($"Snapshot '{s.Description}' of {vm.Name} is Locked.");
            if (vm.Status is VmStatus.ImageLocked or VmStatus.SavingState or VmStatus.RestoringState or VmStatus.PoweringUp or VmStatus.PoweringDown)
                problems.Add($"VM {vm.Name} is stuck {vm.Status}.");
        }
        foreach (var r in await db.OperationJournal.ToListAsync())
            problems.Add($"The journal still holds {r.Kind} on {r.VmName} at step {r.Step} ({r.Failures}).");
        var memory = await db.MemoryVolumes.ToListAsync();
        var referenced = vms.SelectMany(v => v.Snapshots).Where(s => s.MemoryVolumeId is not null).Select(s => s.MemoryVolumeId!.Value).ToHashSet();
        foreach (var m in memory.Where(m => !referenced.Contains(m.Id))) problems.Add($"Memory volume {m.Id} is held by no snapshot.");
        return problems;
    }

    private static HashSet<string> PoolVolumes(string poolFile) =>
        File.Exists(poolFile)
            ? XDocument.Load(poolFile).Root!.Elements("volume").Select(v => (string?)v.Element("name") ?? "").ToHashSet()
            : [];

    /// <summary>The violations, once the background work that follows a start (the orphan collector) has had its chance.</summary>
    public async Task<IReadOnlyList<string>> SettledViolationsAsync(TimeSpan within)
    {
        try { return await Poll.UntilAsync(ViolationsAsync, v => v.Count == 0, "the invariants to hold", within); }
        catch (TimeoutException) { return await ViolationsAsync(); }
    }
}
