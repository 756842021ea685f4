using Microsoft.Extensions.Hosting;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Portal.Core.Audit;
using Portal.Core.Commands;
using Portal.Core.Hosts;
using Portal.Core.Hypervisor;
using Portal.Core.ImportExport;
using Portal.Core.Libvirt;
using Portal.Core.Observability;
using Portal.Core.Persistence;
using Portal.Core.Snapshots;
using Portal.Core.Storage;
using Portal.Core.Vms;

namespace Portal.Core;

public static class PortalCoreExtensions
{
    /// <summary>Registers the commands, queries, persistence and the libvirt connection.</summary>
    public static IHostApplicationBuilder AddPortalCore(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddOptions<PortalOptions>().Bind(builder.Configuration.GetSection(PortalOptions.Section)).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<LibvirtOptions>().Bind(builder.Configuration.GetSection(LibvirtOptions.Section)).ValidateOnStart();

        services.AddSingleton(sp =>
        {
            var portal = sp.GetRequiredService<IOptions<PortalOptions>>().Value;
            var libvirt = sp.GetRequiredService<IOptions<LibvirtOptions>>().Value;
            var provider = sp.GetRequiredService<IOptions<DatabaseOptions>>().Value.Provider;
            var cs = builder.Configuration.GetConnectionString("Portal");
            if (string.IsNullOrWhiteSpace(cs))
            {
                if (provider == DatabaseProvider.PostgreSQL)
                    throw new PortalStartupException("Database:Provider is PostgreSQL but ConnectionStrings:Portal is not set (Host=…;Database=portal;Username=…).");
                cs = $"Data Source={Path.Combine(portal.DataDirectory, "portal.db")}";
            }
            var uri = string.IsNullOrWhiteSpace(libvirt.Uri) ? DemoNode.EnsureWritten(portal.DataDirectory) : libvirt.Uri;
            return new PortalConnection(cs, PortalDatabase.Describe(provider, cs), uri) { DatabaseProvider = provider };
        });
        services.AddOptions<DatabaseOptions>().Bind(builder.Configuration.GetSection(DatabaseOptions.Section)).ValidateOnStart();
        services.AddPortalDbContext();

        services.AddOptions<HostConnectionOptions>().Bind(builder.Configuration.GetSection(HostConnectionOptions.Section)).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<HypervisorFactory>(sp =>
        {
            var log = sp.GetRequiredService<ILogger<LibvirtHypervisor>>();
            var hosts = sp.GetRequiredService<IOptions<HostConnectionOptions>>().Value;
            var keepAlive = new LibvirtHypervisor.KeepAlive(hosts.KeepAliveInterval, hosts.KeepAliveCount);
            // The embedded demo host keeps its state in its node file across restarts, as a real host would.
            var embedded = string.IsNullOrWhiteSpace(sp.GetRequiredService<IOptions<LibvirtOptions>>().Value.Uri)
                ? sp.GetRequiredService<PortalConnection>().LibvirtUri : null;
            return uri => LibvirtHypervisor.Open(uri, log, keepAlive, persist: uri == embedded);
        });
        services.AddSingleton<PortalReadiness>();
        services.AddSingleton<HostConnections>();
        services.AddSingleton<IHypervisor, RoutingHypervisor>();
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton<PortalNotifier>();
        services.AddSingleton(sp => new VmLocks(sp.GetRequiredService<PortalConnection>()));
        services.AddSingleton<VmMonitor>();
        services.AddHostedService(sp => sp.GetRequiredService<VmMonitor>());
        services.AddHostedService<VmBackgroundProcessor>();
        services.AddSingleton<OperationRecovery>();
        services.AddHostedService(sp => sp.GetRequiredService<OperationRecovery>());
        // After the monitor, the background processor and recovery: a host that connects at start is reconciled by the
        // processor and its interrupted operations recovered, which must be listening by then.
        services.AddHostedService(sp => sp.GetRequiredService<HostConnections>());
        services.AddSingleton<VmInventory>();
        services.AddSingleton<AuditLog>();
        services.AddSingleton<MemoryVolumeStore>();
        services.AddSingleton<OrphanVolumeCollector>();
        services.AddHostedService(sp => sp.GetRequiredService<OrphanVolumeCollector>());
        services.AddSingleton<InterruptedSnapshots>();
        services.AddSingleton<SnapshotRecordRestorer>();
        services.AddSingleton<CommandServices>();
        services.AddSingleton<PortalQueries>();
        services.AddSingleton<UserPreferences>();

        services.AddSingleton<CrashPoints>();
        services.AddMetrics();
        services.AddSingleton<PortalMetrics>();

        services.AddCommand<CreateSnapshotCommand>();
        services.AddCommand<PreviewSnapshotCommand>();
        services.AddCommand<CommitSnapshotCommand>();
        services.AddCommand<UndoPreviewCommand>();
        services.AddCommand<RestoreSnapshotCommand>();
        services.AddCommand<RemoveSnapshotCommand>();
        services.AddCommand<RunVmCommand>();
        services.AddCommand<StopVmCommand>();
        services.AddCommand<ProcessDownVmCommand>();
        services.AddCommand<CloneVmFromSnapshotCommand>();
        services.AddCommand<RemoveVmCommand>();
        services.AddCommand<SetVmStatelessCommand>();
        services.AddSingleton<SerialConsole>();
        services.AddSingleton<SerialConsoleSessions>();
        services.AddSingleton<VncViewers>();
        services.AddSingleton<VmConsoles>();
        services.AddSingleton<ExportDomainStore>();
        services.AddSingleton<StorageOverview>();
        services.AddSingleton<HostsOverview>();
        services.AddCommand<ExportVmCommand>();
        services.AddCommand<ImportVmCommand>();
        services.AddCommand<AddHostCommand>();
        services.AddCommand<RemoveHostCommand>();
        services.AddCommand<AddStorageDomainCommand>();
        services.AddCommand<RemoveStorageDomainCommand>();
        return builder;
    }

    /// <summary>A command: one shared instance, which also recovers its own interrupted runs.</summary>
    private static void AddCommand<T>(this IServiceCollection services) where T : class, IRecoverableCommand
    {
        services.AddSingleton<T>();
        services.AddSingleton<IRecoverableCommand>(sp => sp.GetRequiredService<T>());
    }

    private static void TryAddSingleton<T>(this IServiceCollection services, T instance) where T : class
    {
        if (services.All(d => d.ServiceType != typeof(T))) services.AddSingleton(instance);
    }
}
