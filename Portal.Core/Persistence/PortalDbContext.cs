using Microsoft.AspNetCore.Identity.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage.ValueConversion;
using Portal.Core.Audit;
using Portal.Core.Auth;
using Portal.Core.Clusters;
using Portal.Core.Hosts;
using Portal.Core.Snapshots;
using Portal.Core.Storage;
using Portal.Core.Vms;

namespace Portal.Core.Persistence;

/// <summary>
/// The unit of work: one context per operation, from <see cref="IDbContextFactory{TContext}"/>.
/// New migration (SQLite and PostgreSQL): <c>scripts/add-migration.sh NAME</c>.
/// </summary>
public class PortalDbContext : IdentityDbContext<PortalUser>
{
    public PortalDbContext(DbContextOptions<PortalDbContext> options) : base(options) { }

    /// <summary>For a provider's subclass (<see cref="PostgresPortalDbContext"/>), which has its own migrations.</summary>
    protected PortalDbContext(DbContextOptions options) : base(options) { }

    public DbSet<Cluster> Clusters => Set<Cluster>();
    public DbSet<Host> Hosts => Set<Host>();
    public DbSet<StorageDomain> StorageDomains => Set<StorageDomain>();
    public DbSet<Vm> Vms => Set<Vm>();
    public DbSet<VmStatusTransition> VmStatusTransitions => Set<VmStatusTransition>();
    public DbSet<Snapshot> Snapshots => Set<Snapshot>();
    public DbSet<MemoryVolume> MemoryVolumes => Set<MemoryVolume>();
    public DbSet<AuditEntry> AuditEntries => Set<AuditEntry>();
    public DbSet<Commands.OperationRecord> OperationJournal => Set<Commands.OperationRecord>();
    public DbSet<RevokedToken> RevokedTokens => Set<RevokedToken>();
    public DbSet<UserPreference> UserPreferences => Set<UserPreference>();

    protected override void OnModelCreating(ModelBuilder builder)
    {
        base.OnModelCreating(builder);
        builder.ApplyConfigurationsFromAssembly(typeof(PortalDbContext).Assembly);
    }

    protected override void ConfigureConventions(ModelConfigurationBuilder builder)
    {
        // Every time is stored as UTC and comes back marked UTC (SQLite keeps no kind).
        builder.Properties<DateTime>().HaveConversion<UtcDateTimeConverter>();
    }

    private sealed class UtcDateTimeConverter() : ValueConverter<DateTime, DateTime>(
        v => v.Kind == DateTimeKind.Utc ? v : v.ToUniversalTime(),
        v => DateTime.SpecifyKind(v, DateTimeKind.Utc));
}
