namespace Portal.Api;

/// <summary>Where the API, its token endpoint and the hub live; authentication and faults depend on the path.</summary>
internal static class ApiPaths
{
    /// <summary>oVirt's base path; every href the API writes starts here.</summary>
    public const string Base = "/ovirt-engine/api";

    /// <summary>A shorter alias with the same endpoints.</summary>
    public const string Alias = "/api";

    public const string Token = "/ovirt-engine/sso/oauth/token";
    public const string Hub = "/hubs/events";

    public static bool IsApi(PathString path) => path.StartsWithSegments(Base) || path.StartsWithSegments(Alias);
    public static bool IsHub(PathString path) => path.StartsWithSegments(Hub);

    public static string Vm(Guid id) => $"{Base}/vms/{id}";
    public static string Snapshot(Guid vmId, Guid id) => $"{Vm(vmId)}/snapshots/{id}";
    public static string Cluster(Guid id) => $"{Base}/clusters/{id}";
    public static string Host(Guid id) => $"{Base}/hosts/{id}";
    public static string StorageDomain(Guid id) => $"{Base}/storagedomains/{id}";
    public static string ExportedVm(Guid domainId, Guid vmId) => $"{StorageDomain(domainId)}/vms/{vmId}";
    public static string Event(long id) => $"{Base}/events/{id}";
}
