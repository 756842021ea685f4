using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Portal.Core.Audit;
using Portal.Core.Hypervisor;
using Portal.Core.Persistence;
using Portal.Core.Storage;
using Portal.Core.Vms;

namespace Portal.Core.Commands;

/// <summary>What every command needs; one instance, shared.</summary>
public sealed class CommandServices(
    IDbContextFactory<PortalDbContext> db, IHypervisor hypervisor, VmLocks locks, VmMonitor monitor,
    PortalNotifier notifier, AuditLog audit, MemoryVolumeStore memory, TimeProvider clock, ILoggerFactory loggers)
{
    public IDbContextFactory<PortalDbContext> Db => db;
    public IHypervisor Hypervisor => hypervisor;
    public VmLocks Locks => locks;
    public VmMonitor Monitor => monitor;
    public PortalNotifier Notifier => notifier;
    public AuditLog Audit => audit;
    public MemoryVolumeStore Memory => memory;
    public TimeProvider Clock => clock;
    public ILoggerFactory Loggers => loggers;
    public DateTime Now => clock.GetUtcNow().UtcDateTime;
}
