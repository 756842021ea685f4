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
            var cs = builder.Configuration.GetConnectionString("Portal");
            if (string.IsNullOrWhiteSpace(cs)) cs = $"Data Source={Path.Combine(portal.DataDirectory, "portal.db")}";
            var description = new SqliteConnectionStringBuilder(cs).DataSource;
            var uri = string.IsNullOrWhiteSpace(libvirt.Uri) ? DemoNode.EnsureWritten(portal.DataDirectory) : libvirt.Uri;
            return new PortalConnection(cs, description, uri);
        });
        services.AddDbContextFactory<PortalDbContext>((sp, o) => o.UseSqlite(sp.GetRequiredService<PortalConnection>().DatabaseConnectionString));

        services.AddOptions<HostConnectionOptions>().Bind(builder.Configuration.GetSection(HostConnectionOptions.Section)).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<HypervisorFactory>(sp =>
        {
            var log = sp.GetRequiredService<ILogger<LibvirtHypervisor>>();
            var hosts = sp.GetRequiredService<IOptions<HostConnectionOptions>>().Value;
            var keepAlive = new LibvirtHypervisor.KeepAlive(hosts.KeepAliveInterval, hosts.KeepAliveCount);
            return uri => LibvirtHypervisor.Open(uri, log, keepAlive);
        });
        services.AddSingleton<HostConnections>();
        services.AddSingleton<IHypervisor, RoutingHypervisor>();
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton<PortalNotifier>();
        services.AddSingleton<VmLocks>();
        services.AddSingleton<VmMonitor>();
        services.AddHostedService(sp => sp.GetRequiredService<VmMonitor>());
        services.AddHostedService<VmBackgroundProcessor>();
        // After the monitor and the background processor: a host that connects at start is reconciled by the processor,
        // which must be listening by then.
        services.AddHostedService(sp => sp.GetRequiredService<HostConnections>());
        services.AddSingleton<VmInventory>();
        services.AddSingleton<AuditLog>();
        services.AddSingleton<MemoryVolumeStore>();
        services.AddSingleton<OrphanVolumeCollector>();
        services.AddHostedService(sp => sp.GetRequiredService<OrphanVolumeCollector>());
        services.AddSingleton<InterruptedSnapshots>();
        services.AddSingleton<CommandServices>();
        services.AddSingleton<PortalQueries>();

        services.AddSingleton<CreateSnapshotCommand>();
        services.AddSingleton<PreviewSnapshotCommand>();
        services.AddSingleton<CommitSnapshotCommand>();
        services.AddSingleton<UndoPreviewCommand>();
        services.AddSingleton<RemoveSnapshotCommand>();
        services.AddSingleton<RunVmCommand>();
        services.AddSingleton<StopVmCommand>();
        services.AddSingleton<ProcessDownVmCommand>();
        services.AddSingleton<CloneVmFromSnapshotCommand>();
        services.AddSingleton<RemoveVmCommand>();
        services.AddSingleton<SetVmStatelessCommand>();
        services.AddSingleton<SerialConsole>();
        services.AddSingleton<ExportDomainStore>();
        services.AddSingleton<ExportVmCommand>();
        services.AddSingleton<ImportVmCommand>();
        services.AddSingleton<AddHostCommand>();
        services.AddSingleton<RemoveHostCommand>();
        services.AddSingleton<AddStorageDomainCommand>();
        services.AddSingleton<RemoveStorageDomainCommand>();
        return builder;
    }

    private static void TryAddSingleton<T>(this IServiceCollection services, T instance) where T : class
    {
        if (services.All(d => d.ServiceType != typeof(T))) services.AddSingleton(instance);
    }
}
