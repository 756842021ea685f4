using Portal.Core.Audit;
using Portal.Core.Clusters;
using Portal.Core.Hosts;
using Portal.Core.Storage;
using Portal.Core.Vms;

namespace Portal.Core.Search;

/// <summary>
/// What each collection can be searched by, with oVirt's field names and value spellings (statuses in snake case:
/// <c>status=restoring_state</c>). Every field maps to a column, so searches run in the database.
/// </summary>
public static class PortalSearches
{
    /// <summary>oVirt's spelling of each VM status: up, down, restoring_state…</summary>
    public static readonly IReadOnlyDictionary<string, VmStatus> VmStatuses =
        Enum.GetValues<VmStatus>().ToDictionary(s => SnakeCase(s.ToString()), s => s);

    public static readonly IReadOnlyDictionary<string, AuditOutcome> Severities = new Dictionary<string, AuditOutcome>
    {
        ["normal"] = AuditOutcome.Success, ["warning"] = AuditOutcome.Warning, ["error"] = AuditOutcome.Failure,
    };

    public static readonly IReadOnlyDictionary<string, StorageRole> StorageTypes = new Dictionary<string, StorageRole>
    {
        ["data"] = StorageRole.Data, ["export"] = StorageRole.Export,
    };

    /// <summary>name, status, cluster, host; sorted by name.</summary>
    public static SearchFields<Vm> Vms { get; } = new SearchFields<Vm>("VMs")
        .Text("name", v => v.Name, sortable: true)
        .Choice("status", VmStatuses, statuses => v => statuses.Contains(v.Status))
        .Text("cluster", v => v.Cluster != null ? v.Cluster.Name : null)
        .Text("host", v => v.Host != null ? v.Host.Name : null);

    /// <summary>name (the operation), severity, message, vm.name, usrname; sorted by time (newest first by default) or name.</summary>
    public static SearchFields<AuditEntry> Events { get; } = new SearchFields<AuditEntry>("events")
        .Text("name", a => a.Operation, sortable: true)
        .Choice("severity", Severities, outcomes => a => outcomes.Contains(a.Outcome))
        .Text("message", a => a.Message)
        .Text("description", a => a.Message)
        .Text("vm.name", a => a.VmName)
        .Text("usrname", a => a.User)
        .SortBy("time", a => a.Id);

    public static SearchFields<Cluster> Clusters { get; } = new SearchFields<Cluster>("clusters")
        .Text("name", c => c.Name, sortable: true);

    /// <summary>name, type (data or export); sorted by name.</summary>
    public static SearchFields<StorageDomain> StorageDomains { get; } = new SearchFields<StorageDomain>("storage domains")
        .Text("name", d => d.Name, sortable: true)
        .Choice("type", StorageTypes, roles => d => roles.Contains(d.Role));

    /// <summary>
    /// name, status (up, connecting, non_responsive: the portal's connection to the host, which lives in memory, so
    /// the term becomes the ids of the hosts in that state), cluster; sorted by name.
    /// </summary>
    public static SearchFields<Host> Hosts(HostConnections connections)
    {
        var states = new Dictionary<string, HostState>
        {
            ["up"] = HostState.Connected, ["connecting"] = HostState.Connecting, ["non_responsive"] = HostState.Disconnected,
        };
        return new SearchFields<Host>("hosts")
            .Text("name", h => h.Name, sortable: true)
            .Choice("status", states, wanted =>
            {
                var ids = connections.All.Where(c => wanted.Contains(c.State)).Select(c => c.HostId).ToList();
                return h => ids.Contains(h.Id);
            })
            .Text("cluster", h => h.Cluster != null ? h.Cluster.Name : null);
    }

    /// <summary>RestoringState → restoring_state.</summary>
    public static string SnakeCase(string pascal) =>
        string.Concat(pascal.Select((c, i) => char.IsUpper(c) && i > 0 ? "_" + char.ToLowerInvariant(c) : char.ToLowerInvariant(c).ToString()));
}
