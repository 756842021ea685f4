using Portal.Core.Hypervisor;
using Portal.Core.ImportExport;
using Portal.Core.Vms;

namespace Portal.Core.Storage;

/// <summary>
/// What the Storage domains page shows: each domain with its pool's figures and the memory it keeps, and each export
/// domain's exported VMs. Reading it asks libvirt for every pool, counts the memory volumes of every VM and parses every
/// exported OVF (46 ms at 5,000 VMs with 50,000 snapshots), so it is one <see cref="SharedView{T}"/> for every open
/// page. Audit entries of operations that cannot touch storage do not make it stale.
/// </summary>
public sealed class StorageOverview : IDisposable
{
    private static readonly HashSet<string> NotAboutStorage = new(StringComparer.Ordinal)
    {
        "Sign in", "Sign out", "Manage users", "Open serial console", "Open graphical console", "Edit VM",
    };

    public sealed record View(IReadOnlyList<StorageDomainRow> Domains, IReadOnlyDictionary<Guid, IReadOnlyList<ExportDomainStore.Entry>> Exports);

    private readonly PortalQueries _queries;
    private readonly ExportDomainStore _exports;
    private readonly SharedView<View> _view;
    private readonly IDisposable _subscription;

    public StorageOverview(PortalQueries queries, ExportDomainStore exports, PortalNotifier notifier, TimeProvider clock)
    {
        _queries = queries;
        _exports = exports;
        _view = new SharedView<View>(ReadAsync, clock);
        _subscription = notifier.Subscribe(e =>
        {
            var stale = e switch
            {
                AuditAdded added => !NotAboutStorage.Contains(added.Entry.Operation),
                VmInventoryChanged or StorageDomainsChanged => true,
                _ => false,
            };
            if (stale) _view.MarkStale();
        });
    }

    /// <inheritdoc cref="SharedView{T}.Changed"/>
    public event Action? Changed
    {
        add => _view.Changed += value;
        remove => _view.Changed -= value;
    }

    /// <inheritdoc cref="SharedView{T}.CurrentAsync"/>
    public Task<View> CurrentAsync(CancellationToken ct = default) => _view.CurrentAsync(ct);

    private async Task<View> ReadAsync()
    {
        var domains = await _queries.StorageDomainRowsAsync();
        var exports = new Dictionary<Guid, IReadOnlyList<ExportDomainStore.Entry>>();
        foreach (var d in await _queries.StorageDomainsAsync())
        {
            if (d.Role != StorageRole.Export) continue;
            try { exports[d.Id] = await _exports.ListAsync(d, CancellationToken.None); }
            catch (Exception ex) when (ex is OvfException or HypervisorException or IOException)
            {
                exports[d.Id] = [new(Guid.Empty, null, ex.Message)];
            }
        }
        return new View(domains, exports);
    }

    public void Dispose() => _subscription.Dispose();
}
