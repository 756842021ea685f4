using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Portal.Core.Audit;
using Portal.Core.Auth;
using Portal.Core.Clusters;
using Portal.Core.Hosts;
using Portal.Core.Hypervisor;
using Portal.Core.Persistence;
using Portal.Core.Snapshots;

namespace Portal.Core.Vms;

/// <summary>
/// Brings the database's VMs in line with the domains of every connected host: libvirt is the truth for what exists
/// and runs. New domains become VMs of the host they are on (cluster and stateless flag from the portal's domain
/// metadata), vanished ones are marked missing, and every VM's status is taken from its host. The VMs of a host that
/// is not connected are left as they are in the database, NotResponding (<see cref="HostLostAsync"/>). What another
/// client changed is audited: a VM discovered, one missing on its host, one back.
/// </summary>
public sealed partial class VmInventory(HostConnections hosts, IDbContextFactory<PortalDbContext> dbFactory, VmMonitor monitor,
    VmLocks locks, PortalNotifier notifier, SnapshotRecordRestorer records, AuditLog audit, TimeProvider clock, ILogger<VmInventory> log)
{
    /// <summary>Up to this many VMs of one kind of change in one reconcile get an entry each; more get one entry that names the first of them.</summary>
    internal const int EntriesPerVm = 20;

    private readonly SemaphoreSlim _gate = new(1, 1);

    public async Task ReconcileAsync(CancellationToken ct = default)
    {
        await _gate.WaitAsync(ct);
        try
        {
            var changed = false;
            foreach (var (host, connection) in hosts.Connected())
            {
                try { changed |= await ReconcileHostAsync(host, connection, ct); }
                catch (HypervisorException ex)
                {
                    // The connection may be going away; HostConnections decides that. The other hosts still count.
                    LogHostFailed(log, host.Name, ex.LibvirtMessage);
                }
            }
            if (changed) notifier.Publish(new VmInventoryChanged(Reconciled: true));
        }
        finally { _gate.Release(); }
    }

    /// <summary>
    /// The host is not connected: each of its VMs becomes NotResponding, recorded and published like any transition.
    /// Nothing else changes in the database; the next reconcile with the host takes the statuses from it again.
    /// </summary>
    public async Task HostLostAsync(Guid hostId, string reason, CancellationToken ct = default)
    {
        List<Guid> ids;
        await using (var db = await dbFactory.CreateDbContextAsync(ct))
        {
            var ofPrimary = hostId == hosts.PrimaryId;
            ids = await db.Vms.Where(v => (v.HostId == hostId || (ofPrimary && v.HostId == null)) && !v.IsMissingOnHost)
                .Select(v => v.Id).ToListAsync(ct);
        }
        await monitor.SetStatusesAsync(ids.Select(id => (id, VmStatus.NotResponding)).ToList(), Shorten(reason), ct);
    }

    /// <summary>
    /// Forgets a host that is being removed, under the inventory's gate so that no reconcile adds its VMs back: its
    /// VMs (with their snapshots and status history) and its row. Nothing on the host changes. Returns the VMs'
    /// names and the memory volumes their snapshots referenced, for the caller to release.
    /// </summary>
    public async Task<(IReadOnlyList<string> Vms, IReadOnlyList<Guid?> MemoryVolumes)> ForgetHostAsync(PortalDbContext db, Guid hostId, CancellationToken ct = default)
    {
        await _gate.WaitAsync(ct);
        try
        {
            var vms = await db.Vms.Include(v => v.Snapshots).Where(v => v.HostId == hostId).OrderBy(v => v.Name).ToListAsync(ct);
            var memory = vms.SelectMany(v => v.Snapshots).Select(s => s.MemoryVolumeId).Where(m => m is not null).Distinct().ToList();
            await using var tx = await db.Database.BeginTransactionAsync(ct);
            db.Vms.RemoveRange(vms);
            await db.SaveChangesAsync(ct);
            await db.Hosts.Where(h => h.Id == hostId).ExecuteDeleteAsync(ct);
            await tx.CommitAsync(ct);
            return (vms.Select(v => v.Name).ToList(), memory);
        }
        finally { _gate.Release(); }
    }

    private static string Shorten(string reason) => reason.Length <= 500 ? reason : reason[..499] + "…";

    /// <summary>Whether a VM row is this host's: its own, or (from before hosts were recorded) without a host, on the primary.</summary>
    private static bool OnHost(Guid? vmHost, HostConnectionInfo host) => vmHost == host.HostId || (vmHost is null && host.IsPrimary);

    /// <summary>What the reconcile reads of a VM row (not the entity: at 5,000 VMs tracking every row cost more than the rest).</summary>
    private sealed class KnownVm(Guid id, string name, Guid? hostId, bool isMissingOnHost, VmStatus status)
    {
        public Guid Id { get; } = id;
        public string Name { get; } = name;
        public Guid? HostId { get; set; } = hostId;
        public bool IsMissingOnHost { get; set; } = isMissingOnHost;
        public VmStatus Status { get; } = status;
    }

    /// <summary>
    /// Reads the VM rows as a projection, adds the new domains as entities and writes what changed on known rows as one
    /// update per kind of change, all in one transaction. With nothing changed (the usual case: every inventory change
    /// reconciles), the database work is one query.
    /// </summary>
    private async Task<bool> ReconcileHostAsync(HostConnectionInfo host, IHypervisor connection, CancellationToken ct)
    {
        var domains = await connection.ListDomainsAsync(ct);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var hostRow = await db.Hosts.AsNoTracking().FirstOrDefaultAsync(h => h.Id == host.HostId, ct);
        if (hostRow is null) return false; // removed while this ran
        var clusters = await db.Clusters.AsNoTracking().ToListAsync(ct);
        var vms = await db.Vms.AsNoTracking().Select(v => new KnownVm(v.Id, v.Name, v.HostId, v.IsMissingOnHost, v.Status)).ToDictionaryAsync(v => v.Id, ct);
        var names = vms.Values.Select(v => v.Name).ToHashSet();
        var now = clock.GetUtcNow().UtcDateTime;
        var added = new List<Vm>();
        var placed = new List<Guid>();   // HostId set to this host
        var found = new List<Guid>();    // no longer missing
        var lost = new List<Guid>();     // missing on the host now
        // Snapshot records are given back where the host may have lost them: on its first reconcile since it connected
        // (the test driver starts from its node file; a restarted libvirtd reconnects) and for VMs it has again.
        var again = new HashSet<Guid>();
        var mine = new List<DomainInfo>();
        // A host's first inventory (the first start, a host just added) is not audited: nothing was changed outside the
        // portal, the portal only met the host's VMs. Once reconciled, a host without VMs gets its first one audited.
        var firstInventory = !host.Reconciled && !vms.Values.Any(v => OnHost(v.HostId, host));
        var discovered = new List<(Guid Id, string Name, string Message)>();
        var back = new List<(Guid Id, string Name, string Message)>();
        var missing = new List<(Guid Id, string Name, string Message)>();
        // The configurations of the domains new to the portal, four at a time: a host added with 5,000 VMs read them one
        // after the other (~5 s on qemu:///system here; ~3 s this way).
        var configs = new System.Collections.Concurrent.ConcurrentDictionary<Guid, string>();
        await Parallel.ForEachAsync(domains.Where(d => !vms.ContainsKey(d.Id) && locks.HeldBy(d.Id) is null),
            new ParallelOptions { MaxDegreeOfParallelism = 4, CancellationToken = ct },
            async (d, c) => configs[d.Id] = await connection.GetDomainXmlAsync(d.Id, inactive: true, c));

        foreach (var d in domains)
        {
            // As in VmMonitor: while an operation holds a VM it drives it. A clone being defined is added by the
            // clone itself; a VM being run or snapshotted keeps the status the operation gives it.
            if (locks.HeldBy(d.Id) is not null) continue;
            if (!vms.TryGetValue(d.Id, out var vm))
            {
                // Held when the configurations were read and let go since: read now.
                var xml = configs.TryGetValue(d.Id, out var read) ? read : await connection.GetDomainXmlAsync(d.Id, inactive: true, ct);
                var doc = DomainXml.Parse(xml);
                var cluster = ClusterFor(doc, clusters, hostRow.ClusterId);
                if (cluster is null) { LogNoCluster(log, d.Name); continue; }
                var row = new Vm
                {
                    Id = d.Id, Name = UniqueName(d.Name, names), ClusterId = cluster.Id, HostId = host.HostId,
                    MemoryMiB = DomainXml.MemoryMiB(doc), VideoRamKiB = DomainXml.VideoRamKiB(doc),
                    IsStateless = DomainXml.MetadataValue(doc, "stateless") == "true", Status = VmStatus.Down, StatusSince = now,
                };
                row.Snapshots.Add(new Snapshot
                {
                    VmId = row.Id, Description = Snapshot.ActiveDescription, CreatedAt = now, Type = SnapshotType.Active,
                    Status = SnapshotStatus.Ok, ConfigurationXml = xml,
                });
                added.Add(row);
                names.Add(row.Name);
                vms[row.Id] = vm = new KnownVm(row.Id, row.Name, row.HostId, false, row.Status);
                again.Add(vm.Id);
                LogAdded(log, row.Name, host.Name, cluster.Name);
                discovered.Add((row.Id, row.Name, $"VM {row.Name}{(row.Name == d.Name ? "" : $" (domain {d.Name})")} was found on host {host.Name} and added to " +
                    $"cluster {cluster.Name}: the portal did not know its domain (defined by another client of the host)."));
            }
            else if (!OnHost(vm.HostId, host))
            {
                // The same UUID on two hosts. A VM gone from its own host has moved here (migrated, or defined again);
                // otherwise it is a copy, and the portal keeps the VM it knows.
                if (!vm.IsMissingOnHost)
                {
                    LogDuplicate(log, d.Name, host.Name, vm.Name);
                    continue;
                }
                vm.HostId = host.HostId;
                vm.IsMissingOnHost = false;
                placed.Add(vm.Id);
                found.Add(vm.Id);
                again.Add(vm.Id);
                LogMoved(log, vm.Name, host.Name);
                back.Add((vm.Id, vm.Name, $"VM {vm.Name}, missing on its host, is now on host {host.Name}."));
            }
            else
            {
                if (vm.HostId is null) { vm.HostId = host.HostId; placed.Add(vm.Id); }
                if (vm.IsMissingOnHost)
                {
                    vm.IsMissingOnHost = false;
                    found.Add(vm.Id);
                    again.Add(vm.Id);
                    back.Add((vm.Id, vm.Name, $"VM {vm.Name} is on host {host.Name} again: its domain was defined there anew."));
                }
            }
            hosts.Place(d.Id, host.HostId);
            mine.Add(d);
            monitor.Prime(vm.Id, vm.Status);
        }
        var onHost = mine.Select(d => d.Id).ToHashSet();
        // A domain an operation is removing right now (Remove VM) is that operation's to record, as for one being created.
        var absent = vms.Values.Where(v => OnHost(v.HostId, host) && !onHost.Contains(v.Id) && !v.IsMissingOnHost && locks.HeldBy(v.Id) is null).ToList();
        if (absent.Count > 0)
        {
            // The host was listed before the VM rows were read: a VM an operation defined and recorded in between (an
            // import, a clone; its lock gone by now) has a row but was not in that list. Missing is what the host
            // lacks when asked after the rows were read.
            var listedNow = (await connection.ListDomainsAsync(ct)).Select(d => d.Id).ToHashSet();
            foreach (var vm in absent.Where(v => !listedNow.Contains(v.Id)))
            {
                vm.IsMissingOnHost = true;
                lost.Add(vm.Id);
                missing.Add((vm.Id, vm.Name, $"VM {vm.Name} is no longer on host {host.Name}: its domain is not defined there (removed by another " +
                    "client of the host). The portal keeps the VM, marked missing, with its snapshots; it comes back if the domain is defined again."));
            }
        }
        var changed = added.Count + placed.Count + found.Count + lost.Count > 0;
        if (changed)
        {
            await using var tx = await db.Database.BeginTransactionAsync(ct);
            var hostId = host.HostId;
            if (placed.Count > 0) await db.Vms.Where(v => placed.Contains(v.Id)).ExecuteUpdateAsync(u => u.SetProperty(v => v.HostId, hostId), ct);
            if (found.Count > 0) await db.Vms.Where(v => found.Contains(v.Id)).ExecuteUpdateAsync(u => u.SetProperty(v => v.IsMissingOnHost, false), ct);
            if (lost.Count > 0) await db.Vms.Where(v => lost.Contains(v.Id)).ExecuteUpdateAsync(u => u.SetProperty(v => v.IsMissingOnHost, true), ct);
            db.Vms.AddRange(added);
            var entries = Stage(db, host, firstInventory, discovered, back, missing);
            await db.SaveChangesAsync(ct);
            await tx.CommitAsync(ct);
            foreach (var entry in entries) audit.Published(entry);
        }

        // Checked in the background (a query and a libvirt call per VM with snapshots); a snapshot call about one of
        // these VMs waits for its own check. Handed over before the host counts as reconciled, so no command comes first.
        records.Pend(connection, mine.Where(d => locks.HeldBy(d.Id) is null && (!host.Reconciled || again.Contains(d.Id))).Select(d => d.Id).ToList());

        // Ask the host again rather than apply the list read above: a domain may have changed since, and its event
        // has already been handled by the monitor. A VM an operation holds has its status set by that operation.
        // One list from the host and one commit per batch of VMs, not a query and a commit per VM.
        var now2 = (await connection.ListDomainsAsync(ct)).ToDictionary(d => d.Id, d => d.State);
        await monitor.SetStatusesAsync(mine.Where(d => locks.HeldBy(d.Id) is null)
            .Select(d => (d.Id, now2.TryGetValue(d.Id, out var state) ? VmMonitor.FromRunState(state) : VmStatus.Down)).ToList(),
            "reconciled with the host", ct);
        // The statuses are the host's now: commands on its VMs may run (they were refused until here).
        hosts.MarkReconciled(host.HostId, connection);
        await monitor.SetStatusesAsync(vms.Values.Where(v => v.IsMissingOnHost && OnHost(v.HostId, host)).Select(v => (v.Id, VmStatus.Down)).ToList(),
            "the host no longer has this VM", ct);
        return changed;
    }

    /// <summary>The audit entries of what another client changed, staged with the reconcile's commit.</summary>
    private List<AuditEntry> Stage(PortalDbContext db, HostConnectionInfo host, bool firstInventory,
        List<(Guid Id, string Name, string Message)> discovered, List<(Guid Id, string Name, string Message)> back,
        List<(Guid Id, string Name, string Message)> missing)
    {
        var entries = new List<AuditEntry>();
        void Each(List<(Guid Id, string Name, string Message)> vms, string operation, AuditOutcome outcome, Func<string, string> summary)
        {
            if (vms.Count == 0) return;
            if (vms.Count <= EntriesPerVm)
            {
                entries.AddRange(vms.Select(v => audit.Stage(db, Actor.System.UserName, v.Id, v.Name, operation, outcome, v.Message)));
                return;
            }
            var names = vms.Select(v => v.Name).Order(StringComparer.Ordinal).ToList();
            var named = string.Join(", ", names.Take(10)) + (names.Count > 10 ? $" and {names.Count - 10} more" : "");
            entries.Add(audit.Stage(db, Actor.System.UserName, null, null, operation, outcome, summary($"{names.Count} VMs ({named})")));
        }
        if (!firstInventory)
            Each(discovered, AuditOperations.DiscoverVm, AuditOutcome.Success, vms => $"{vms} were found on host {host.Name} and added: the portal did not know their domains.");
        Each(back, AuditOperations.VmBackOnHost, AuditOutcome.Success, vms => $"{vms}, missing on their host, are on host {host.Name} again.");
        Each(missing, AuditOperations.VmMissingOnHost, AuditOutcome.Warning,
            vms => $"{vms} are no longer on host {host.Name}: their domains are not defined there. The portal keeps them, marked missing, with their snapshots.");
        return entries;
    }

    private static Cluster? ClusterFor(System.Xml.Linq.XDocument doc, List<Cluster> clusters, Guid? hostCluster)
    {
        var named = DomainXml.MetadataValue(doc, "cluster");
        return clusters.FirstOrDefault(c => c.Name == named) ?? clusters.FirstOrDefault(c => c.Id == hostCluster) ?? clusters.FirstOrDefault();
    }

    private static string UniqueName(string name, HashSet<string> taken)
    {
        var candidate = name;
        for (var i = 2; taken.Contains(candidate); i++) candidate = $"{name}-{i}";
        return candidate;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "VM {VmName} found on host {Host}, added to cluster {Cluster}")]
    private static partial void LogAdded(ILogger log, string vmName, string host, string cluster);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Domain {DomainName} on host {Host} has the UUID of VM {VmName}, which is on another host; it is left out")]
    private static partial void LogDuplicate(ILogger log, string domainName, string host, string vmName);

    [LoggerMessage(Level = LogLevel.Information, Message = "VM {VmName}, missing on its host, is now on host {Host}")]
    private static partial void LogMoved(ILogger log, string vmName, string host);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Reconciling host {Host} failed: {Error}")]
    private static partial void LogHostFailed(ILogger log, string host, string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "VM {VmName} found on the host, but there is no cluster to put it in")]
    private static partial void LogNoCluster(ILogger log, string vmName);
}
