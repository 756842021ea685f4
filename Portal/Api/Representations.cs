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

    /// <param name="hardware">From the domain's XML: console, CPU, firmware.</param>
    /// <param name="followCluster">With <c>follow=cluster</c> the whole cluster is written; else only a reference.</param>
    /// <param name="snapshots">With <c>follow=snapshots</c>: written inside the VM instead of the link.</param>
    public static VmRepresentation Vm(VmResourceRow v, VmHardware hardware, bool followCluster = false,
        List<SnapshotRepresentation>? snapshots = null)
    {
        var memory = (long)v.MemoryMiB * 1024 * 1024;
        var href = ApiPaths.Vm(v.Id);
        return new VmRepresentation
        {
            Href = href,
            Id = v.Id.ToString(),
            Actions = ActionLinks.For(href, VmActions),
            Name = v.Name,
            Links = snapshots is null ? [new Link { Href = href + "/snapshots", Rel = "snapshots" }] : [],
            Bios = new BiosRepresentation { BootMenu = new EnabledRepresentation { Enabled = hardware.BootMenu }, Type = hardware.BiosType },
            Cpu = new CpuRepresentation
            {
                Architecture = hardware.Architecture,
                Topology = new CpuTopologyRepresentation { Sockets = hardware.Sockets, Cores = hardware.Cores, Threads = hardware.Threads },
            },
            Display = new DisplayRepresentation
            {
                Type = hardware.DisplayType,
                Address = hardware.Listen ?? (v.HostUri is null ? null : HostAddress(v.HostUri)),
                Port = hardware.Port,
                SecurePort = hardware.TlsPort,
                Monitors = hardware.Monitors,
            },
            HighAvailability = new HighAvailabilityRepresentation(),
            Io = new IoRepresentation { Threads = hardware.IoThreads },
            Memory = memory,
            MemoryPolicy = new MemoryPolicyRepresentation { Ballooning = hardware.Ballooning, Guaranteed = memory, Max = Math.Max(memory, hardware.MaxMemoryBytes ?? 0) },
            Os = new OsRepresentation { Boot = new BootRepresentation { Devices = new BootDevices { Items = [.. hardware.BootDevices] } } },
            Sso = new SsoRepresentation(),
            Stateless = v.IsStateless,
            Status = StatusText(v.Status),
            Usb = new EnabledRepresentation { Enabled = hardware.UsbRedirection },
            Cluster = followCluster
                ? Cluster(v.ClusterId, v.Cluster, Version.Parse(v.CompatibilityVersion))
                : ClusterRepresentation.Reference(ApiPaths.Cluster(v.ClusterId), v.ClusterId),
            Host = v.HostId is { } hostId && v.Host is not null ? Ref.To(ApiPaths.Host(hostId), hostId) : null,
            Snapshots = snapshots is null ? null : new SnapshotList { Items = snapshots },
        };
    }

    /// <summary>oVirt's vm_status spelling of each status, computed once rather than per VM and request.</summary>
    private static readonly Dictionary<VmStatus, string> StatusTexts = Enum.GetValues<VmStatus>().ToDictionary(s => s, s => SnakeCase(s.ToString()));

    public static string StatusText(VmStatus status) => StatusTexts.TryGetValue(status, out var text) ? text : SnakeCase(status.ToString());

    /// <summary>Only the host name of a libvirt URI: a test:/// URI carries a local file path, which is nobody's business.</summary>
    public static string HostAddress(string uri) =>
        Uri.TryCreate(uri, UriKind.Absolute, out var u) && !string.IsNullOrEmpty(u.Host) ? u.Host : "localhost";

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

    public static ClusterRepresentation Cluster(Cluster c) => Cluster(c.Id, c.Name, c.Compatibility);

    public static ClusterRepresentation Cluster(Guid id, string name, Version compatibility) => new()
    {
        Href = ApiPaths.Cluster(id),
        Id = id.ToString(),
        Name = name,
        Version = new VersionRepresentation { Major = compatibility.Major, Minor = compatibility.Minor },
    };

    public static HostRepresentation Host(Core.Hosts.Host h, Core.Hosts.HostConnectionInfo? connection) => new()
    {
        Href = ApiPaths.Host(h.Id),
        Id = h.Id.ToString(),
        Name = h.Name,
        Address = HostAddress(h.Uri),
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
        Links = d.Role == StorageRole.Export ? [new Link { Href = ApiPaths.StorageDomain(d.Id) + "/vms", Rel = "vms" }] : null,
    };

    /// <summary>
    /// A VM on an export domain, from its OVF: what the portal keeps of it while listing (name, memory, stateless), Down,
    /// with its domain and the import action. Importing it is what gives it a cluster, a host and hardware.
    /// </summary>
    public static VmRepresentation ExportedVm(StorageDomain domain, Core.ImportExport.ExportDomainStore.Entry e)
    {
        var href = ApiPaths.ExportedVm(domain.Id, e.VmId);
        return new VmRepresentation
        {
            Href = href,
            Id = e.VmId.ToString(),
            Actions = ActionLinks.For(href, "import"),
            Name = e.Name ?? "",
            Memory = (long)e.MemoryMiB * 1024 * 1024,
            Stateless = e.IsStateless,
            Status = StatusText(VmStatus.Down),
            StorageDomain = Ref.To(ApiPaths.StorageDomain(domain.Id), domain.Id),
        };
    }

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
