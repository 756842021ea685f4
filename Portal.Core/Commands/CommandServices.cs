using System.Collections.Concurrent;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Portal.Core.Audit;
using Portal.Core.Hosts;
using Portal.Core.Hypervisor;
using Portal.Core.Observability;
using Portal.Core.Persistence;
using Portal.Core.Storage;
using Portal.Core.Vms;

namespace Portal.Core.Commands;

/// <summary>What every command needs; one instance, shared.</summary>
public sealed class CommandServices(
    IDbContextFactory<PortalDbContext> db, IHypervisor hypervisor, HostConnections hosts, VmLocks locks, VmMonitor monitor,
    PortalNotifier notifier, AuditLog audit, MemoryVolumeStore memory, CrashPoints crash, TimeProvider clock, ILoggerFactory loggers,
    PortalMetrics metrics)
{
    public IDbContextFactory<PortalDbContext> Db => db;

    /// <summary>Every host: each call about a VM goes to the host that holds it (<see cref="RoutingHypervisor"/>).</summary>
    public IHypervisor Hypervisor => hypervisor;
    public HostConnections Hosts => hosts;
    public VmLocks Locks => locks;
    public VmMonitor Monitor => monitor;
    public PortalNotifier Notifier => notifier;
    public AuditLog Audit => audit;
    public MemoryVolumeStore Memory => memory;
    public TimeProvider Clock => clock;
    public ILoggerFactory Loggers => loggers;
    public CrashPoints Crash => crash;
    public PortalMetrics Metrics => metrics;

    /// <summary>The journal rows of the runs under way in this process: recovery leaves them alone.</summary>
    public ConcurrentDictionary<Guid, byte> Running { get; } = new();
    public DateTime Now => clock.GetUtcNow().UtcDateTime;
}
