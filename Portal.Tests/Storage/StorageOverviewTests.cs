using System.Diagnostics;
using Portal.Core;
using Portal.Core.Audit;
using Portal.Core.Snapshots;
using Portal.Core.Storage;
using Portal.Tests.Support;

namespace Portal.Tests.Storage;

/// <summary>
/// The Storage domains page's view is read once per change for every open page, and not at all for audit entries of
/// operations that cannot touch storage.
/// </summary>
public sealed class StorageOverviewTests : PortalTest
{
    private StorageOverview Overview => Portal.Get<StorageOverview>();

    [Fact]
    public async Task CurrentAsync_ManyPagesAskAfterASnapshotWithMemory_OneReadShowsItToAll()
    {
        var before = await Overview.CurrentAsync(Ct);
        var changes = 0;
        Overview.Changed += () => Interlocked.Increment(ref changes);

        var web = await Portal.VmIdAsync("web-frontend");
        await PortalFixture.Succeeds(Portal.Command<CreateSnapshotCommand>().ExecuteAsync(new CreateSnapshotRequest(web, "before upgrade", true), PortalFixture.Alice, Ct));
        var views = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => Overview.CurrentAsync(Ct)));

        Assert.True(changes > 0);
        Assert.All(views, v => Assert.Same(views[0], v));
        Assert.NotSame(before, views[0]);
        var domain = (await Portal.MemoryVolumesAsync()).Single().StorageDomainId;
        Assert.Equal(0, before.Domains.Single(d => d.Id == domain).MemoryVolumes);
        Assert.Equal(1, views[0].Domains.Single(d => d.Id == domain).MemoryVolumes);
        Assert.Equal(["web-frontend"], views[0].Domains.Single(d => d.Id == domain).MemoryOfVms);
    }

    [Fact]
    public async Task AuditEntry_OfAnOperationThatCannotTouchStorage_KeepsTheView()
    {
        var audit = Portal.Get<AuditLog>();
        var first = await Overview.CurrentAsync(Ct);
        var changes = 0;
        Overview.Changed += () => Interlocked.Increment(ref changes);

        await audit.WriteAsync("alice", null, null, "Sign in", AuditOutcome.Success, "alice signed in.");
        await audit.WriteAsync("alice", await Portal.VmIdAsync("web-frontend"), "web-frontend", "Open serial console", AuditOutcome.Success, "opened");

        Assert.Equal(0, changes);
        Assert.Same(first, await Overview.CurrentAsync(Ct));

        await audit.WriteAsync("alice", null, null, "Remove memory volume", AuditOutcome.Success, "removed");

        Assert.Equal(1, changes);
        Assert.NotSame(first, await Overview.CurrentAsync(Ct));
    }

    [Fact]
    public async Task CurrentAsync_ChangesOneAfterAnother_ReadsStartAtLeastTheIntervalApart()
    {
        var audit = Portal.Get<AuditLog>();
        await audit.WriteAsync("alice", null, null, "Remove memory volume", AuditOutcome.Success, "one");
        var watch = Stopwatch.StartNew();
        var first = await Overview.CurrentAsync(Ct);   // started now, or within the interval of an earlier read

        await audit.WriteAsync("alice", null, null, "Remove memory volume", AuditOutcome.Success, "two");
        var second = await Overview.CurrentAsync(Ct);

        Assert.NotSame(first, second);
        Assert.True(watch.Elapsed >= SharedView.MinInterval, $"the second read was done {watch.Elapsed.TotalMilliseconds:F0} ms after the first began");
    }

    [Fact]
    public async Task Warmup_PortalReady_ReadsTheOverviewOnceAndSaysWhatItHolds()
    {
        var store = Portal.Get<global::Portal.Core.ImportExport.ExportDomainStore>();
        var export = (await Portal.Queries.StorageDomainsAsync(Ct)).Single(d => d.Role == StorageRole.Export);
        await store.WriteAsync(export, ExportedVms.Chain("exported", DateTime.UtcNow), Ct);
        var log = new Messages<StorageOverviewWarmup>();
        using var warmup = new StorageOverviewWarmup(Portal.Get<PortalReadiness>(), Overview, log);

        await warmup.StartAsync(Ct);
        await warmup.ExecuteTask!.WaitAsync(TimeSpan.FromSeconds(30), Ct);

        var domains = (await Overview.CurrentAsync(Ct)).Domains.Count;
        Assert.Matches($"^Storage overview of {domains} domains and 1 exported VMs read in [0-9]+ ms$", Assert.Single(log.Lines));
    }

    [Fact]
    public async Task OpenedAsync_AVmCopiedOntoTheExportDomainSinceTheLastRead_IsReadAgainAndOpenPagesAreTold()
    {
        var export = (await Portal.Queries.StorageDomainsAsync(Ct)).Single(d => d.Role == StorageRole.Export);
        var first = await Overview.CurrentAsync(Ct);
        var changes = 0;
        Overview.Changed += () => Interlocked.Increment(ref changes);
        // Nothing changed since: the same view, however long ago it was read (the max age is not what decides here).
        Assert.Same(first, await Overview.OpenedAsync(TimeSpan.FromHours(1), Ct));

        // An OVF copied into the domain's directory, as another portal's export or a copied domain leaves it.
        var vm = ExportedVms.Chain("copied-in", DateTime.UtcNow);
        var pool = await Portal.Hypervisor.GetPoolAsync(export.PoolName, Ct);
        var dir = Path.Combine(pool.TargetPath!, "master", "vms", vm.Id.ToString());
        Directory.CreateDirectory(dir);
        global::Portal.Core.ImportExport.OvfDocument.Build(vm).Save(Path.Combine(dir, $"{vm.Id}.ovf"));

        var opened = await Overview.OpenedAsync(TimeSpan.FromHours(1), Ct);

        Assert.Equal(["copied-in"], opened.Exports[export.Id].Select(e => e.Name));
        Assert.Equal(1, changes);
        Assert.Same(opened, await Overview.OpenedAsync(TimeSpan.FromHours(1), Ct));
    }

    /// <summary>The lines written to a logger, formatted.</summary>
    private sealed class Messages<T> : Microsoft.Extensions.Logging.ILogger<T>
    {
        public List<string> Lines { get; } = [];

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(Microsoft.Extensions.Logging.LogLevel logLevel) => true;

        public void Log<TState>(Microsoft.Extensions.Logging.LogLevel logLevel, Microsoft.Extensions.Logging.EventId eventId, TState state, Exception? exception,
            Func<TState, Exception?, string> formatter) => Lines.Add(formatter(state, exception));
    }
}
