using System.Reflection;
using Portal.Api.Model;
using Portal.Core;
using Portal.Core.Hosts;
using Portal.Core.Hypervisor;
using Portal.Core.ImportExport;
using Portal.Core.Storage;
using Portal.Core.Search;

namespace Portal.Api.Endpoints;

/// <summary>The API root and the read-only collections: clusters, hosts, storage domains, events (the audit log).</summary>
internal static class SystemEndpoints
{
    /// <summary>The oVirt API level whose shapes the portal follows.</summary>
    public static readonly (int Major, int Minor) ApiLevel = (4, 5);

    public static void MapSystemEndpoints(this RouteGroupBuilder api)
    {
        api.MapGet("", (TimeProvider clock) =>
            {
                string[] collections = ["clusters", "events", "hosts", "storagedomains", "vms"];
                var build = typeof(SystemEndpoints).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "1.0.0";
                return Ovirt.Ok(new ApiRoot
                {
                    // Each collection and, as oVirt writes them, its search template (libgovirt's search uses "vms/search").
                    Links = collections.SelectMany(c => new[]
                    {
                        new Link { Href = $"{ApiPaths.Base}/{c}", Rel = c },
                        new Link { Href = $"{ApiPaths.Base}/{c}?search={{query}}", Rel = $"{c}/search" },
                    }).ToList(),
                    ProductInfo = new ProductInfo
                    {
                        Name = "VirtPortal",
                        Vendor = "VirtPortal",
                        Version = new ProductVersion
                        {
                            Major = ApiLevel.Major, Minor = ApiLevel.Minor, Build = 0, Revision = 0,
                            FullVersion = $"{ApiLevel.Major}.{ApiLevel.Minor}.0 (VirtPortal {build.Split('+')[0]})",
                        },
                    },
                    Time = clock.GetUtcNow().UtcDateTime,
                });
            })
            .Describe("System", "API root", "Links to the collections, and product_info (the oVirt API level emulated).")
            .Returns<ApiRoot>().Faults();

        api.MapGet("/clusters", async (HttpContext http, PortalQueries q, CancellationToken ct) =>
                Ovirt.Ok(new ClusterList { Items = (await q.SearchClustersAsync(ApiSearch.From(http.Request, PortalSearches.Clusters), ct)).Select(Representations.Cluster).ToList() }))
            .Describe("Clusters", "List clusters",
                "Each with its compatibility `version` (major, minor). Memory snapshots need 3.3 or later. `search`: `name=`, `sortby name`, `page N`; `max`.")
            .Returns<ClusterList>().Faults(400);

        api.MapGet("/clusters/{id}", async (string id, PortalQueries q, CancellationToken ct) =>
            {
                var clusterId = EndpointHelpers.PathId(id, "cluster");
                var c = (await q.ClustersAsync(ct)).FirstOrDefault(x => x.Id == clusterId) ?? throw ApiFault.NotFound($"There is no cluster with id {clusterId}.");
                return Ovirt.Ok(Representations.Cluster(c));
            })
            .Describe("Clusters", "Get a cluster", "")
            .Returns<ClusterRepresentation>().Faults(404);

        api.MapGet("/hosts", async (HttpContext http, PortalQueries q, HostConnections hosts, CancellationToken ct) =>
                Ovirt.Ok(new HostList
                {
                    Items = (await q.SearchHostsAsync(ApiSearch.From(http.Request, PortalSearches.Hosts(hosts)), ct))
                        .Select(h => Representations.Host(h, hosts.Find(h.Id))).ToList(),
                }))
            .Describe("Hosts", "List hosts",
                "`status` is up while the portal's libvirt connection to the host is alive, connecting before it was first reached, " +
                "non_responsive when it cannot be reached (the portal keeps trying; the host's VMs are not_responding). " +
                "`search`: `name=`, `status=`, `cluster=`, `and`/`or`, `sortby name`, `page N`; `max`.")
            .Returns<HostList>().Faults(400);

        api.MapGet("/hosts/{id}", async (string id, PortalQueries q, HostConnections hosts, CancellationToken ct) =>
            {
                var hostId = EndpointHelpers.PathId(id, "host");
                var h = (await q.HostsAsync(ct)).FirstOrDefault(x => x.Id == hostId) ?? throw ApiFault.NotFound($"There is no host with id {hostId}.");
                return Ovirt.Ok(Representations.Host(h, hosts.Find(h.Id)));
            })
            .Describe("Hosts", "Get a host", "")
            .Returns<HostRepresentation>().Faults(404);

        api.MapGet("/storagedomains", async (HttpContext http, PortalQueries q, IHypervisor hypervisor, CancellationToken ct) =>
            {
                var items = new List<StorageDomainRepresentation>();
                foreach (var d in await q.SearchStorageDomainsAsync(ApiSearch.From(http.Request, PortalSearches.StorageDomains), ct)) items.Add(Representations.StorageDomain(d, await PoolAsync(hypervisor, d.PoolName, ct)));
                return Ovirt.Ok(new StorageDomainList { Items = items });
            })
            .Describe("Storage domains", "List storage domains",
                "`type` is data or export; `available` and `used` come from the backing libvirt pool. `search`: `name=`, `type=`, `sortby name`, `page N`; `max`.")
            .Returns<StorageDomainList>().Faults(400);

        api.MapGet("/storagedomains/{id}", async (string id, PortalQueries q, IHypervisor hypervisor, CancellationToken ct) =>
            {
                var d = await DomainAsync(q, id, ct);
                return Ovirt.Ok(Representations.StorageDomain(d, await PoolAsync(hypervisor, d.PoolName, ct)));
            })
            .Describe("Storage domains", "Get a storage domain", "")
            .Returns<StorageDomainRepresentation>().Faults(404);

        api.MapGet("/storagedomains/{id}/vms", async (HttpContext http, string id, PortalQueries q, ExportDomainStore exports, CancellationToken ct) =>
            {
                var domain = await DomainAsync(q, id, ct);
                var max = ApiSearch.Max(http.Request);
                // As oVirt: a data domain lists none here (its VMs are /vms); an export domain its exported VMs, by name.
                var entries = domain.Role != StorageRole.Export ? [] : (await ExportedAsync(exports, domain, ct)).Where(e => e.Error is null);
                return Ovirt.Ok(new VmList { Items = entries.Take(max ?? int.MaxValue).Select(e => Representations.ExportedVm(domain, e)).ToList() });
            })
            .Describe("Storage domains", "List the VMs on an export domain",
                "By name, each Down with its `storage_domain` and the `import` action (`POST …/vms/{vm-id}/import`). An OVF that cannot be read is " +
                "left out (the Storage page shows it with the reason). A data domain lists none, as in oVirt. `max`.")
            .Returns<VmList>().Faults(400, 404);

        api.MapGet("/storagedomains/{id}/vms/{vm}", async (string id, string vm, PortalQueries q, ExportDomainStore exports, CancellationToken ct) =>
            {
                var domain = await DomainAsync(q, id, ct);
                var vmId = EndpointHelpers.PathId(vm, "exported VM");
                var entry = domain.Role != StorageRole.Export ? null
                    : (await ExportedAsync(exports, domain, ct)).FirstOrDefault(e => e.VmId == vmId && e.Error is null);
                return Ovirt.Ok(Representations.ExportedVm(domain, entry ?? throw ApiFault.NotFound($"There is no VM with id {vmId} on {domain.Name}.")));
            })
            .Describe("Storage domains", "Get a VM on an export domain", "")
            .Returns<VmRepresentation>().Faults(404);

        api.MapGet("/events", async (HttpContext http, PortalQueries q, CancellationToken ct) =>
            {
                // A poller's from= without max wants every pending entry (oVirt gives all of them, the SDK's example
                // relies on it): up to 10,000 there, so one that fell far behind is not cut to the default 100.
                var after = ApiSearch.After(http.Request);
                var search = after is null
                    ? ApiSearch.From(http.Request, PortalSearches.Events, defaultMax: 100, maxLimit: 1000)
                    : ApiSearch.From(http.Request, PortalSearches.Events, defaultMax: FollowLimit, maxLimit: FollowLimit);
                var entries = await q.SearchAuditAsync(search, after, ct);
                return Ovirt.Ok(new EventList { Items = entries.Select(Representations.Event).ToList() });
            })
            .Describe("Events", "List the audit log, newest first",
                "`?max=N` returns the N newest entries (default 100, at most 1000). `?from=I` only those whose `index` is greater than I " +
                "(indexes only grow: a poller passes the newest index it has seen), all of them up to 10,000 unless `max` says fewer; " +
                "more come as `page 2`, `page 3`… of the same `from`. " +
                "`severity` is normal (success), warning or error (failure). " +
                "`search`: `severity=`, `name=` (the operation), `message=`, `vm.name=`, `usrname=`, `and`/`or`, `sortby time|name`, `page N`. " +
                "Refusals by a validator are answered, not audited.")
            .Returns<EventList>().Faults(400);

        api.MapGet("/events/{id}", async (string id, PortalQueries q, CancellationToken ct) =>
            {
                if (!long.TryParse(id, out var index) || index < 1 || index == long.MaxValue) throw ApiFault.NotFound($"There is no event with id '{id}'.");
                var entry = (await q.AuditAsync(1, beforeId: index + 1, ct: ct)).FirstOrDefault(a => a.Id == index)
                            ?? throw ApiFault.NotFound($"There is no event with id {index}.");
                return Ovirt.Ok(Representations.Event(entry));
            })
            .Describe("Events", "Get one audit entry", "")
            .Returns<EventRepresentation>().Faults(404);
    }

    /// <summary>The most entries one <c>events?from=</c> reply holds.</summary>
    internal const int FollowLimit = 10_000;

    private static async Task<StorageDomain> DomainAsync(PortalQueries q, string id, CancellationToken ct)
    {
        var domainId = EndpointHelpers.PathId(id, "storage domain");
        return (await q.StorageDomainsAsync(ct)).FirstOrDefault(x => x.Id == domainId) ?? throw ApiFault.NotFound($"There is no storage domain with id {domainId}.");
    }

    /// <summary>The export domain's VMs, or a 409 with the reason its directory cannot be listed (its pool gone, say).</summary>
    private static async Task<IReadOnlyList<ExportDomainStore.Entry>> ExportedAsync(ExportDomainStore exports, StorageDomain domain, CancellationToken ct)
    {
        try { return await exports.ListAsync(domain, ct); }
        catch (Exception ex) when (ExportDomainStore.IsUnreadable(ex))
        {
            throw ApiFault.From(Portal.Core.Commands.CommandResult.Conflict($"The VMs on {domain.Name} cannot be listed: {ex.Message}"));
        }
    }

    private static async Task<PoolInfo?> PoolAsync(IHypervisor hypervisor, string pool, CancellationToken ct)
    {
        try { return await hypervisor.GetPoolAsync(pool, ct); }
        catch (HypervisorException) { return null; }
    }
}
