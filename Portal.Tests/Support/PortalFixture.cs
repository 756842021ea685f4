using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Portal.Core;
using Portal.Core.Audit;
using Portal.Core.Auth;
using Portal.Core.Commands;
using HypervisorFactory = Portal.Core.Hosts.HypervisorFactory;
using Portal.Core.Hypervisor;
using Portal.Core.Persistence;
using Portal.Core.Snapshots;
using Portal.Core.Storage;
using Portal.Core.Vms;

namespace Portal.Tests.Support;

/// <summary>
/// The portal's core as the app builds it: <c>AddPortalCore</c>, <see cref="PortalStartup.InitializeAsync"/>, then the
/// hosted services (VmMonitor, VmBackgroundProcessor). Each instance has its own data folder, so its own demo node
/// file (an independent libvirt test-driver connection) and its own SQLite database.
/// </summary>
public sealed class PortalFixture : IAsyncDisposable
{
    public static readonly Actor Alice = Actor.Admin("alice");
    public static readonly Actor Bob = Actor.Helpdesk("bob");

    private readonly IHost _host;

    private PortalFixture(IHost host, string dataDirectory)
    {
        _host = host;
        DataDirectory = dataDirectory;
    }

    public string DataDirectory { get; }
    public IServiceProvider Services => _host.Services;
    public IHypervisor Hypervisor => Services.GetRequiredService<IHypervisor>();
    public VmMonitor Monitor => Services.GetRequiredService<VmMonitor>();
    public VmLocks Locks => Services.GetRequiredService<VmLocks>();
    public PortalQueries Queries => Services.GetRequiredService<PortalQueries>();
    public PortalNotifier Notifier => Services.GetRequiredService<PortalNotifier>();
    public VmBackgroundProcessor Background => Services.GetServices<IHostedService>().OfType<VmBackgroundProcessor>().Single();

    /// <summary>The fault injector on the primary host's connection; only fixtures started with <c>injectFaults: true</c> have one.</summary>
    public FaultInjectingHypervisor Faults => FaultsOrNull
        ?? throw new InvalidOperationException("Start the fixture with injectFaults: true to inject faults.");

    private FaultInjectingHypervisor? FaultsOrNull =>
        Services.GetService<FaultInjectingConnections>()?.For(Get<PortalConnection>().LibvirtUri);

    /// <summary>Every connection's fault injector; only fixtures started with <c>injectFaults: true</c> have them.</summary>
    public FaultInjectingConnections Connections => Services.GetService<FaultInjectingConnections>()
        ?? throw new InvalidOperationException("Start the fixture with injectFaults: true to inject faults.");

    public static string NewDataDirectory() =>
        Path.Combine(Path.GetTempPath(), "portal-core-tests", Guid.NewGuid().ToString("N"));

    /// <summary>Builds the host without initializing or starting it.</summary>
    /// <param name="injectFaults">Every libvirt connection goes through a <see cref="FaultInjectingHypervisor"/> (see <see cref="Connections"/>).</param>
    /// <param name="settings">Configuration on top of the data folder (the Hosts section's timings, say).</param>
    public static IHost BuildHost(string dataDirectory, bool injectFaults = false, IReadOnlyDictionary<string, string?>? settings = null)
    {
        // No defaults: neither the copied appsettings.json nor the environment of the machine may steer a test.
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            [$"{PortalOptions.Section}:{nameof(PortalOptions.DataDirectory)}"] = dataDirectory,
        });
        builder.Configuration.AddInMemoryCollection(TestDatabase.SettingsFor(dataDirectory));
        if (settings is not null) builder.Configuration.AddInMemoryCollection(settings);
        builder.Logging.ClearProviders();
        builder.Logging.AddProvider(new TestOutputLoggerProvider(TestContext.Current.TestOutputHelper));
        builder.Logging.AddFilter("Microsoft", LogLevel.Warning);
        builder.Logging.SetMinimumLevel(LogLevel.Debug);
        builder.AddPortalCore();
        if (injectFaults)
        {
            var connections = new FaultInjectingConnections();
            builder.Services.AddSingleton(connections);
            var real = builder.Services.Single(d => d.ServiceType == typeof(HypervisorFactory));
            builder.Services.Remove(real);
            builder.Services.AddSingleton<HypervisorFactory>(sp => connections.Wrap((HypervisorFactory)real.ImplementationFactory!(sp)));
        }
        return builder.Build();
    }

    /// <param name="dataDirectory">Start on the data of a fixture stopped with <see cref="StopKeepingDataAsync"/> (a restart). Default: a new folder.</param>
    public static async Task<PortalFixture> StartAsync(bool injectFaults = false, IReadOnlyDictionary<string, string?>? settings = null, string? dataDirectory = null)
    {
        var dir = dataDirectory ?? NewDataDirectory();
        var host = BuildHost(dir, injectFaults, settings);
        try
        {
            await PortalStartup.InitializeAsync(host.Services, TestContext.Current.CancellationToken);
            await host.StartAsync(TestContext.Current.CancellationToken);
            // The start's background check of snapshot records is over before a test arms a fault or counts calls.
            await host.Services.GetRequiredService<SnapshotRecordRestorer>().WhenIdleAsync().WaitAsync(TestContext.Current.CancellationToken);
        }
        catch
        {
            host.Dispose();
            DeleteDirectory(dir, host);
            throw;
        }
        return new PortalFixture(host, dir);
    }

    /// <summary>Stops the portal as a restart would, keeping its data folder (database and the embedded host's node) for the next start.</summary>
    public async Task StopKeepingDataAsync()
    {
        _keepData = true;
        await DisposeAsync();
    }

    private bool _keepData;

    private bool _disposed;

    public async ValueTask DisposeAsync()
    {
        if (_disposed) return;
        _disposed = true;
        if (_keepData)
        {
            try { await _host.StopAsync(CancellationToken.None); }
            finally
            {
                _host.Dispose();
                SqliteConnection.ClearPool(new SqliteConnection($"Data Source={Path.Combine(DataDirectory, "portal.db")}"));
            }
            return;
        }
        try { await _host.StopAsync(CancellationToken.None); }
        finally
        {
            _host.Dispose();
            DeleteDirectory(DataDirectory, _host);
        }
    }

    private static void DeleteDirectory(string dir, IHost host)
    {
        SqliteConnection.ClearPool(new SqliteConnection($"Data Source={Path.Combine(dir, "portal.db")}"));
        TestDatabase.Drop(dir);
        if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
    }

    public T Get<T>() where T : notnull => Services.GetRequiredService<T>();

    public Task<PortalDbContext> DbAsync() =>
        Services.GetRequiredService<IDbContextFactory<PortalDbContext>>().CreateDbContextAsync(TestContext.Current.CancellationToken);

    // ---- reading the database ----

    public async Task<Guid> VmIdAsync(string name)
    {
        await using var db = await DbAsync();
        return await db.Vms.Where(v => v.Name == name).Select(v => v.Id).SingleAsync(TestContext.Current.CancellationToken);
    }

    /// <summary>The VM as stored, with its cluster and its snapshots and their memory volumes.</summary>
    public async Task<Vm> LoadVmAsync(Guid id)
    {
        await using var db = await DbAsync();
        return await db.Vms.AsNoTracking().Include(v => v.Cluster)
            .Include(v => v.Snapshots).ThenInclude(s => s.MemoryVolume).ThenInclude(m => m!.StorageDomain)
            .AsSplitQuery().SingleAsync(v => v.Id == id, TestContext.Current.CancellationToken);
    }

    public async Task<Snapshot> ActiveAsync(Guid vmId) => (await LoadVmAsync(vmId)).Snapshots.Single(s => s.Type == SnapshotType.Active);

    public async Task<Snapshot?> SnapshotAsync(Guid id)
    {
        await using var db = await DbAsync();
        return await db.Snapshots.AsNoTracking().Include(s => s.MemoryVolume).SingleOrDefaultAsync(s => s.Id == id, TestContext.Current.CancellationToken);
    }

    public async Task<List<MemoryVolume>> MemoryVolumesAsync()
    {
        await using var db = await DbAsync();
        return await db.MemoryVolumes.AsNoTracking().Include(m => m.StorageDomain).ToListAsync(TestContext.Current.CancellationToken);
    }

    public async Task<long> LastTransitionIdAsync(Guid vmId)
    {
        await using var db = await DbAsync();
        return await db.VmStatusTransitions.Where(t => t.VmId == vmId).MaxAsync(t => (long?)t.Id, TestContext.Current.CancellationToken) ?? 0;
    }

    /// <summary>The statuses the VM went into after transition <paramref name="afterId"/>, in order.</summary>
    public async Task<List<VmStatus>> StatusesSinceAsync(Guid vmId, long afterId)
    {
        await using var db = await DbAsync();
        return await db.VmStatusTransitions.Where(t => t.VmId == vmId && t.Id > afterId).OrderBy(t => t.Id)
            .Select(t => t.To).ToListAsync(TestContext.Current.CancellationToken);
    }

    public async Task<List<AuditEntry>> AuditAsync(Guid vmId)
    {
        await using var db = await DbAsync();
        return await db.AuditEntries.AsNoTracking().Where(a => a.VmId == vmId).OrderBy(a => a.Id).ToListAsync(TestContext.Current.CancellationToken);
    }

    // ---- asking libvirt ----

    public async Task<bool> VolumeExistsAsync(string pool, string name) =>
        await Hypervisor.FindVolumePathAsync(pool, name, TestContext.Current.CancellationToken) is not null;

    /// <summary>Whether libvirt still has the dump and the configuration volume of <paramref name="mv"/>.</summary>
    public async Task<(bool Dump, bool Conf)> VolumesExistAsync(MemoryVolume mv, string pool = Portal.Core.Hosts.DemoNode.DataPool) =>
        (await VolumeExistsAsync(pool, mv.DumpVolumeName), await VolumeExistsAsync(pool, mv.ConfVolumeName));

    public async Task<DomainRunState> DomainStateAsync(Guid vmId) =>
        (await Hypervisor.FindDomainAsync(vmId, TestContext.Current.CancellationToken))!.State;

    /// <summary>Waits until the monitor shows <paramref name="status"/> for the VM.</summary>
    public Task WaitForStatusAsync(Guid vmId, VmStatus status) =>
        Wait.UntilAsync(() => Monitor.StatusOf(vmId) == status, $"the VM is {status} (it is {Monitor.StatusOf(vmId)})");

    // ---- commands that a test uses as steps: each must succeed ----

    public T Command<T>() where T : notnull => Get<T>();

    public async Task<Guid> CreateSnapshotAsync(Guid vmId, string description, bool saveMemory = true, Actor? actor = null) =>
        (Guid)(await Succeeds(Command<CreateSnapshotCommand>().ExecuteAsync(new CreateSnapshotRequest(vmId, description, saveMemory), actor ?? Alice)))!.Value!;

    public Task<CommandResult> PreviewAsync(Guid vmId, Guid snapshotId, bool restoreMemory = true) =>
        Succeeds(Command<PreviewSnapshotCommand>().ExecuteAsync(new PreviewSnapshotRequest(vmId, snapshotId, restoreMemory), Alice));

    public Task<CommandResult> CommitAsync(Guid vmId) =>
        Succeeds(Command<CommitSnapshotCommand>().ExecuteAsync(new CommitSnapshotRequest(vmId), Alice));

    public Task<CommandResult> UndoAsync(Guid vmId) =>
        Succeeds(Command<UndoPreviewCommand>().ExecuteAsync(new UndoPreviewRequest(vmId), Alice));

    public Task<CommandResult> RemoveAsync(Guid vmId, Guid snapshotId) =>
        Succeeds(Command<RemoveSnapshotCommand>().ExecuteAsync(new RemoveSnapshotRequest(vmId, snapshotId), Alice));

    public Task<CommandResult> RunAsync(Guid vmId) =>
        Succeeds(Command<RunVmCommand>().ExecuteAsync(new RunVmRequest(vmId), Alice));

    public Task<CommandResult> StopAsync(Guid vmId) =>
        Succeeds(Command<StopVmCommand>().ExecuteAsync(new StopVmRequest(vmId), Alice));

    /// <summary>web-frontend (running, cluster 4.7) with a memory snapshot "s1", then stopped: ready to preview it.</summary>
    public async Task<(Guid Vm, Guid S1)> WebFrontendStoppedWithMemorySnapshotAsync()
    {
        var web = await VmIdAsync("web-frontend");
        var s1 = await CreateSnapshotAsync(web, "s1");
        await StopAsync(web);
        return (web, s1);
    }

    /// <summary>Defines a domain as another client would, waits until the inventory has it, starts it and waits until it is Up.</summary>
    public async Task<Guid> DefineAndStartAsync(string domainXml)
    {
        var domain = await Hypervisor.DefineDomainAsync(domainXml, TestContext.Current.CancellationToken);
        await Wait.UntilAsync(() => Queries.VmAsync(domain.Id, TestContext.Current.CancellationToken), r => r is not null, $"{domain.Name} is in the inventory");
        await Hypervisor.StartAsync(domain.Id, TestContext.Current.CancellationToken);
        await WaitForStatusAsync(domain.Id, VmStatus.Up);
        return domain.Id;
    }

    public static async Task<CommandResult> Succeeds(Task<CommandResult> command)
    {
        var result = await command;
        Assert.True(result.Succeeded, $"Expected success, got {result.Kind}: {result.Message}");
        return result;
    }

    // ---- what every failure must leave behind ----

    /// <summary>
    /// Asserts what a failed operation must leave: no Locked snapshot, the VM not stuck in a transient status, one
    /// Active snapshot, every memory volume row referenced and present in libvirt, and (when the fault injector
    /// is on) no volume in the pool that no row knows of.
    /// </summary>
    public async Task AssertNothingHalfDoneAsync(Guid vmId)
    {
        var vm = await LoadVmAsync(vmId);
        Assert.DoesNotContain(vm.Snapshots, s => s.Status == SnapshotStatus.Locked);
        Assert.Single(vm.Snapshots, s => s.Type == SnapshotType.Active);
        Assert.DoesNotContain(Monitor.StatusOf(vmId), new[] { VmStatus.ImageLocked, VmStatus.SavingState, VmStatus.RestoringState });
        Assert.Equal(Monitor.StatusOf(vmId), vm.Status);
        Assert.Equal(VmMonitor.FromRunState(await DomainStateAsync(vmId)), vm.Status);
        Assert.Null(Locks.HeldBy(vmId));

        await using var db = await DbAsync();
        // Nothing of the operation is left to finish or undo.
        Assert.Empty(await db.OperationJournal.Where(r => r.VmId == vmId).Select(r => $"{r.Kind} at {r.Step}: {r.Failures}").ToListAsync(TestContext.Current.CancellationToken));
        var referenced = await db.Snapshots.Where(s => s.MemoryVolumeId != null).Select(s => s.MemoryVolumeId!.Value)
            .Distinct().ToListAsync(TestContext.Current.CancellationToken);
        var rows = await MemoryVolumesAsync();
        Assert.All(rows, mv => Assert.Contains(mv.Id, referenced));
        foreach (var mv in rows) Assert.Equal((true, true), await VolumesExistAsync(mv, mv.StorageDomain!.PoolName));

        if (FaultsOrNull is { } faults)
        {
            var known = rows.SelectMany(m => new[] { m.DumpVolumeName, m.ConfVolumeName }).ToHashSet();
            foreach (var (pool, name) in faults.CreatedVolumes)
                if (await VolumeExistsAsync(pool, name))
                    Assert.True(known.Contains(name), $"Volume {name} is still in pool {pool}, but no memory volume row knows it.");
        }
    }
}
