using System.Text;
using Portal.Api.Model;
using Portal.Core;
using Portal.Core.Audit;
using Portal.Core.Clusters;
using Portal.Core.Snapshots;
using Portal.Core.Storage;
using Portal.Core.Vms;

namespace Portal.Api;

/// <summary>From the portal's rows to oVirt's shapes and enum spellings; no rule lives here.</summary>
internal static class Representations
{
    public static readonly string[] VmActions = ["start", "stop", "shutdown", "previewsnapshot", "commitsnapshot", "undosnapshot"];

    public static VmRepresentation Vm(VmRow v, IReadOnlyDictionary<string, Guid> clusterIds, IReadOnlyDictionary<string, Guid> hostIds) => new()
    {
        Href = ApiPaths.Vm(v.Id),
        Id = v.Id.ToString(),
        Actions = ActionLinks.For(ApiPaths.Vm(v.Id), VmActions),
        Name = v.Name,
        Links = [new Link { Href = ApiPaths.Vm(v.Id) + "/snapshots", Rel = "snapshots" }],
        Memory = (long)v.MemoryMiB * 1024 * 1024,
        Stateless = v.IsStateless,
        Status = SnakeCase(v.Status.ToString()),
        Cluster = clusterIds.TryGetValue(v.Cluster, out var c) ? Ref.To(ApiPaths.Cluster(c), c) : null,
        Host = v.Host is not null && hostIds.TryGetValue(v.Host, out var h) ? Ref.To(ApiPaths.Host(h), h) : null,
    };

    /// <param name="stillRunning">The command that creates it has not ended: shown locked whatever the row says.</param>
    public static SnapshotRepresentation Snapshot(SnapshotRow s, bool stillRunning = false) => new()
    {
        Href = ApiPaths.Snapshot(s.VmId, s.Id),
        Id = s.Id.ToString(),
        Actions = ActionLinks.For(ApiPaths.Snapshot(s.VmId, s.Id), "restore"),
        Description = s.Description,
        Vm = Ref.To(ApiPaths.Vm(s.VmId), s.VmId),
        Date = Utc(s.CreatedAt),
        PersistMemoryState = s.HasMemory,
        SnapshotStatus = stillRunning && s.Status == Core.Snapshots.SnapshotStatus.Ok ? "locked" : SnakeCase(s.Status.ToString()),
        SnapshotType = SnakeCase(s.Type.ToString()),
    };

    public static ClusterRepresentation Cluster(Cluster c) => new()
    {
        Href = ApiPaths.Cluster(c.Id),
        Id = c.Id.ToString(),
        Name = c.Name,
        Version = new VersionRepresentation { Major = c.Compatibility.Major, Minor = c.Compatibility.Minor },
    };

    public static HostRepresentation Host(Core.Hosts.Host h, Core.Hosts.HostConnectionInfo? connection) => new()
    {
        Href = ApiPaths.Host(h.Id),
        Id = h.Id.ToString(),
        Name = h.Name,
        // Only the host name: a test:/// URI carries a local file path, which is nobody's business.
        Address = Uri.TryCreate(h.Uri, UriKind.Absolute, out var u) && !string.IsNullOrEmpty(u.Host) ? u.Host : "localhost",
        Status = connection?.State switch
        {
            Core.Hosts.HostState.Connected => "up",
            Core.Hosts.HostState.Disconnected => "non_responsive",
            _ => "connecting",
        },
        Cluster = Ref.To(ApiPaths.Cluster(h.ClusterId), h.ClusterId),
    };

    public static StorageDomainRepresentation StorageDomain(StorageDomain d, Core.Hypervisor.PoolInfo? pool) => new()
    {
        Href = ApiPaths.StorageDomain(d.Id),
        Id = d.Id.ToString(),
        Name = d.Name,
        Type = d.Role == StorageRole.Export ? "export" : "data",
        Storage = new HostStorage { Type = d.Kind == StorageKind.Block ? "fcp" : "localfs" },
        Available = pool?.AvailableBytes,
        Used = pool?.AllocationBytes,
    };

    public static EventRepresentation Event(AuditEntry a) => new()
    {
        Href = ApiPaths.Event(a.Id),
        Id = a.Id.ToString(System.Globalization.CultureInfo.InvariantCulture),
        Name = a.Operation,
        Description = a.Message,
        Severity = Severity(a.Outcome),
        Time = Utc(a.At),
        Index = a.Id,
        Origin = "VirtPortal",
        User = new EventUser { UserName = a.User },
        Vm = a.VmId is { } vm ? Ref.To(ApiPaths.Vm(vm), vm) : null,
    };

    public static string Severity(AuditOutcome o) => o switch
    {
        AuditOutcome.Failure => "error",
        AuditOutcome.Warning => "warning",
        _ => "normal",
    };

    /// <summary>oVirt's enum spelling: RestoringState → restoring_state, InPreview → in_preview.</summary>
    public static string SnakeCase(string pascal)
    {
        var sb = new StringBuilder(pascal.Length + 4);
        for (var i = 0; i < pascal.Length; i++)
        {
            if (char.IsUpper(pascal[i]) && i > 0) sb.Append('_');
            sb.Append(char.ToLowerInvariant(pascal[i]));
        }
        return sb.ToString();
    }

    /// <summary>SQLite hands dates back unspecified; they were stored as UTC.</summary>
    public static DateTime Utc(DateTime d) => DateTime.SpecifyKind(d, DateTimeKind.Utc);
}
