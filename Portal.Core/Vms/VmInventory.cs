using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Portal.Core.Clusters;
using Portal.Core.Hypervisor;
using Portal.Core.Persistence;
using Portal.Core.Snapshots;

namespace Portal.Core.Vms;

/// <summary>
/// Brings the database's VMs in line with the host's domains: libvirt is the truth for what exists and runs.
/// New domains become VMs (cluster and stateless flag from the portal's domain metadata), vanished ones are
/// marked missing, and every VM's status is taken from the host.
/// </summary>
public sealed partial class VmInventory(IHypervisor hypervisor, IDbContextFactory<PortalDbContext> dbFactory, VmMonitor monitor,
    VmLocks locks, PortalNotifier notifier, TimeProvider clock, ILogger<VmInventory> log)
{
    private readonly SemaphoreSlim _gate = new(1, 1);

    public async Task ReconcileAsync(CancellationToken ct = default)
    {
        await _gate.WaitAsync(ct);
        try { await ReconcileCoreAsync(ct); }
        finally { _gate.Release(); }
    }

    private async Task ReconcileCoreAsync(CancellationToken ct)
    {
        var domains = await hypervisor.ListDomainsAsync(ct);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var host = await db.Hosts.FirstOrDefaultAsync(h => h.Uri == hypervisor.Uri, ct);
        var clusters = await db.Clusters.ToListAsync(ct);
        var vms = await db.Vms.Include(v => v.Snapshots).ToDictionaryAsync(v => v.Id, ct);
        var now = clock.GetUtcNow().UtcDateTime;
        var changed = false;

        foreach (var d in domains)
        {
            // As in VmMonitor: while an operation holds a VM it drives it. A clone being defined is added by the
            // clone itself; a VM being run or snapshotted keeps the status the operation gives it.
            if (locks.HeldBy(d.Id) is not null) continue;
            if (!vms.TryGetValue(d.Id, out var vm))
            {
                var xml = await hypervisor.GetDomainXmlAsync(d.Id, inactive: true, ct);
                var doc = DomainXml.Parse(xml);
                var cluster = ClusterFor(doc, clusters, host?.ClusterId);
                if (cluster is null) { LogNoCluster(log, d.Name); continue; }
                vm = new Vm
                {
                    Id = d.Id, Name = UniqueName(d.Name, vms.Values), ClusterId = cluster.Id, HostId = host?.Id,
                    MemoryMiB = DomainXml.MemoryMiB(doc), VideoRamKiB = DomainXml.VideoRamKiB(doc),
                    IsStateless = DomainXml.MetadataValue(doc, "stateless") == "true", Status = VmStatus.Down, StatusSince = now,
                };
                vm.Snapshots.Add(new Snapshot
                {
                    VmId = vm.Id, Description = Snapshot.ActiveDescription, CreatedAt = now, Type = SnapshotType.Active,
                    Status = SnapshotStatus.Ok, ConfigurationXml = xml,
                });
                db.Vms.Add(vm);
                vms[vm.Id] = vm;
                changed = true;
                LogAdded(log, vm.Name, cluster.Name);
            }
            else if (vm.IsMissingOnHost)
            {
                vm.IsMissingOnHost = false;
                changed = true;
            }
            monitor.Prime(vm.Id, vm.Status);
        }
        var onHost = domains.Select(d => d.Id).ToHashSet();
        // A domain an operation is removing right now (Remove VM) is that operation's to record, as for one being created.
        foreach (var vm in vms.Values.Where(v => !onHost.Contains(v.Id) && !v.IsMissingOnHost && (host is null || v.HostId == host.Id)
                                                 && locks.HeldBy(v.Id) is null))
        {
            vm.IsMissingOnHost = true;
            changed = true;
        }
        await db.SaveChangesAsync(ct);

        foreach (var d in domains.Where(d => vms.ContainsKey(d.Id) && locks.HeldBy(d.Id) is null))
            await RestoreSnapshotRecordsAsync(vms[d.Id], ct);

        // Ask the host again rather than apply the list read above: a domain may have changed since, and its event
        // has already been handled by the monitor. A VM an operation holds has its status set by that operation.
        foreach (var d in domains)
            if (vms.ContainsKey(d.Id) && locks.HeldBy(d.Id) is null)
                await monitor.RefreshFromHostAsync(d.Id, "reconciled with the host", ct);
        foreach (var vm in vms.Values.Where(v => v.IsMissingOnHost))
            await monitor.SetStatusAsync(vm.Id, VmStatus.Down, "the host no longer has this VM", ct);
        if (changed) notifier.Publish(new VmInventoryChanged());
    }

    /// <summary>
    /// Gives the host back the snapshot records it lost (the embedded test driver starts from its node file on every
    /// start), so memory saved before a restart can still be restored.
    /// </summary>
    private async Task RestoreSnapshotRecordsAsync(Vm vm, CancellationToken ct)
    {
        var wanted = vm.Snapshots.Where(s => s.HypervisorName is not null && s.HypervisorXml is not null).OrderBy(s => s.CreatedAt).ToList();
        if (wanted.Count == 0) return;
        var present = (await hypervisor.ListSnapshotNamesAsync(vm.Id, ct)).ToHashSet();
        foreach (var s in wanted.Where(s => !present.Contains(s.HypervisorName!)))
        {
            try
            {
                await hypervisor.RedefineSnapshotAsync(vm.Id, s.HypervisorXml!, ct);
                LogRedefined(log, s.Description, vm.Name);
            }
            catch (HypervisorException ex) { LogRedefineFailed(log, s.Description, vm.Name, ex.LibvirtMessage); }
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Snapshot '{Snapshot}' of {VmName} re-created on the host")]
    private static partial void LogRedefined(ILogger log, string snapshot, string vmName);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Snapshot '{Snapshot}' of {VmName} could not be re-created on the host: {Error}")]
    private static partial void LogRedefineFailed(ILogger log, string snapshot, string vmName, string error);

    private static Cluster? ClusterFor(System.Xml.Linq.XDocument doc, List<Cluster> clusters, Guid? hostCluster)
    {
        var named = DomainXml.MetadataValue(doc, "cluster");
        return clusters.FirstOrDefault(c => c.Name == named) ?? clusters.FirstOrDefault(c => c.Id == hostCluster) ?? clusters.FirstOrDefault();
    }

    private static string UniqueName(string name, IEnumerable<Vm> existing)
    {
        var taken = existing.Select(v => v.Name).ToHashSet();
        var candidate = name;
        for (var i = 2; taken.Contains(candidate); i++) candidate = $"{name}-{i}";
        return candidate;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "VM {VmName} found on the host, added to cluster {Cluster}")]
    private static partial void LogAdded(ILogger log, string vmName, string cluster);

    [LoggerMessage(Level = LogLevel.Warning, Message = "VM {VmName} found on the host, but there is no cluster to put it in")]
    private static partial void LogNoCluster(ILogger log, string vmName);
}
