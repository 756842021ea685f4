using Portal.Api.Model;
using Portal.Core;
using Portal.Core.Hosts;
using Portal.Core.Hypervisor;
using Portal.Core.ImportExport;
using Portal.Core.Storage;
using Portal.Core.Vms;

namespace Portal.Api.Endpoints;

/// <summary>
/// The data-center operations in oVirt v4's shapes: clone a VM from a snapshot (<c>POST /vms</c>), remove a VM, export it,
/// import it from an export domain, add and remove storage domains and hosts. Each calls the same command as the page.
/// </summary>
internal static class DataCenterEndpoints
{
    public static void MapDataCenterEndpoints(this RouteGroupBuilder api)
    {
        api.MapPost("/vms", CloneAsync)
            .Describe("VMs", "Create a VM from a snapshot",
                "Body: `<vm><name>copy</name><snapshots><snapshot id=\"…\"/></snapshots></vm>` (oVirt's add-from-snapshot). The new VM " +
                "never has memory: a snapshot's memory is discarded, with a `Warning` header. Replies 201 with the VM. Admin only.")
            .Takes<VmRepresentation>().Returns<VmRepresentation>(201).Faults(400, 404, 409);

        api.MapDelete("/vms/{id}", async (HttpContext http, string id, RemoveVmCommand remove) =>
            {
                var vmId = EndpointHelpers.PathId(id, "VM");
                var result = await remove.ExecuteAsync(new RemoveVmRequest(vmId), http.Actor());
                return result.Succeeded ? Results.Ok() : throw ApiFault.From(result);
            })
            .Describe("VMs", "Remove a VM", "The VM must be down. Its domain, its snapshots and the memory volumes no other snapshot uses go. Admin only.")
            .Produces(200).Faults(404, 409);

        api.MapPost("/vms/{id}/export", async (HttpContext http, string id, ExportVmCommand export, PortalQueries q) =>
            {
                var vmId = EndpointHelpers.PathId(id, "VM");
                var body = await ApiInput.ReadAsync(http, "action", allowEmpty: false);
                var domain = await DomainAsync(q, body.Child("storage_domain"), "action.storage_domain");
                var request = new ExportVmRequest(vmId, domain, Collapse: body.Boolean("discard_snapshots") ?? false, Overwrite: body.Boolean("exclusive") ?? false);
                return VmEndpoints.ActionReply(await export.ExecuteAsync(request, http.Actor()));
            })
            .Describe("VMs", "Export a VM to an export domain",
                "Body: `<action><storage_domain id=\"…\"/><exclusive>false</exclusive><discard_snapshots>false</discard_snapshots></action>`. " +
                "`exclusive` overwrites a copy already there; `discard_snapshots` exports the active snapshot only, with its memory. The VM must be down. Admin only.")
            .Takes<ActionInput>().Returns<ActionResult>().IsAction().Faults(400, 404, 409);

        api.MapPost("/storagedomains/{sd}/vms/{id}/import", async (HttpContext http, string sd, string id, ImportVmCommand import, PortalQueries q) =>
            {
                var exportDomain = EndpointHelpers.PathId(sd, "storage domain");
                var vmId = EndpointHelpers.PathId(id, "exported VM");
                var body = await ApiInput.ReadAsync(http, "action", allowEmpty: false);
                var target = await DomainAsync(q, body.Child("storage_domain"), "action.storage_domain");
                var request = new ImportVmRequest(exportDomain, vmId, target, AsClone: body.Boolean("clone") ?? false,
                    Collapse: body.Boolean("collapse_snapshots") ?? false, NewName: body.Child("vm")?.String("name"), ClusterId: await ClusterAsync(q, body.Child("cluster"), "action.cluster"));
                var result = await import.ExecuteAsync(request, http.Actor());
                return VmEndpoints.ActionReply(result);
            })
            .Describe("Storage domains", "Import a VM from an export domain",
                "Body: `<action><storage_domain id=\"…\"/><cluster id=\"…\"/><clone>false</clone><collapse_snapshots>false</collapse_snapshots>" +
                "<vm><name>…</name></vm></action>`. The target is a data domain (File or Block); its snapshots come with their memory, " +
                "unless `clone` (a new id and no memory at all). Admin only.")
            .Takes<ActionInput>().Returns<ActionResult>().IsAction().Faults(400, 404, 409);

        api.MapPost("/storagedomains", async (HttpContext http, AddStorageDomainCommand add, PortalQueries q, IHypervisor hypervisor) =>
            {
                var body = await ApiInput.ReadAsync(http, "storage_domain", allowEmpty: false);
                var role = body.String("type")?.Trim().ToLowerInvariant() switch
                {
                    "data" or null => StorageRole.Data,
                    "export" => StorageRole.Export,
                    var other => throw ApiFault.BadRequest($"storage_domain.type '{other}' is not supported: use data or export."),
                };
                var storage = body.Child("storage") ?? throw ApiFault.Incomplete("storage_domain.storage is required.");
                var kind = storage.String("type")?.Trim().ToLowerInvariant();
                var request = kind switch
                {
                    "localfs" or "posixfs" or "nfs" => new AddStorageDomainRequest(body.String("name") ?? "", role, StorageSource.Directory, Path: storage.String("path")),
                    "libvirt" => new AddStorageDomainRequest(body.String("name") ?? "", role, StorageSource.ExistingPool, PoolName: storage.String("path")),
                    _ => throw ApiFault.BadRequest($"storage_domain.storage.type '{kind}' is not supported: use localfs (a directory the portal makes a pool of) " +
                                                   "or libvirt (path: the name of a pool the host has)."),
                };
                var result = await add.ExecuteAsync(request, http.Actor());
                if (!result.Succeeded) throw ApiFault.From(result);
                var id = result.ValueAs<Guid>();
                var d = (await q.StorageDomainsAsync()).First(x => x.Id == id);
                PoolInfo? pool = null;
                try { pool = await hypervisor.GetPoolAsync(d.PoolName); }
                catch (HypervisorException) { }
                return new OvirtResult<StorageDomainRepresentation>(Representations.StorageDomain(d, pool), StatusCodes.Status201Created,
                    result.WarningList, ApiPaths.StorageDomain(id));
            })
            .Describe("Storage domains", "Add a storage domain",
                "Body: `<storage_domain><name>data2</name><type>data</type><storage><type>localfs</type><path>/srv/data2</path></storage></storage_domain>`. " +
                "`localfs` makes (and starts) a directory pool; `libvirt` registers the pool named by `path`. Replies 201. Admin only.")
            .Takes<StorageDomainRepresentation>().Returns<StorageDomainRepresentation>(201).Faults(400, 404, 409);

        api.MapDelete("/storagedomains/{id}", async (HttpContext http, string id, RemoveStorageDomainCommand remove) =>
            {
                var domainId = EndpointHelpers.PathId(id, "storage domain");
                var query = http.Request.Query;
                var request = new RemoveStorageDomainRequest(domainId, ExportedVmsConfirmed: Flag(query, "force"), RemovePool: Flag(query, "destroy_pool"));
                var result = await remove.ExecuteAsync(request, http.Actor());
                return result.Succeeded ? Results.Ok() : throw ApiFault.From(result);
            })
            .Describe("Storage domains", "Remove a storage domain",
                "Refused while it holds memory volumes or disk images. `?force=true` removes an export domain that holds exported VMs " +
                "(their files stay); `?destroy_pool=true` also stops and undefines a pool the portal created (no data is deleted). Admin only.")
            .Produces(200).Faults(400, 404, 409);

        api.MapPost("/hosts", async (HttpContext http, AddHostCommand add, PortalQueries q, HostConnections hosts) =>
            {
                var body = await ApiInput.ReadAsync(http, "host", allowEmpty: false);
                var address = body.String("address")?.Trim() ?? throw ApiFault.Incomplete("host.address is required.");
                // oVirt's address is a host name; the portal reaches a host through libvirt, so a name becomes libvirt's ssh URI.
                var uri = address.Contains("://", StringComparison.Ordinal) ? address : $"qemu+ssh://root@{address}/system";
                var result = await add.ExecuteAsync(new AddHostRequest(body.String("name"), uri, await ClusterAsync(q, body.Child("cluster"), "host.cluster")), http.Actor());
                if (!result.Succeeded) throw ApiFault.From(result);
                var info = result.ValueAs<HostConnectionInfo>();
                var h = (await q.HostsAsync()).First(x => x.Id == info.HostId);
                return new OvirtResult<HostRepresentation>(Representations.Host(h, hosts.Find(h.Id)), StatusCodes.Status201Created,
                    result.WarningList, ApiPaths.Host(h.Id));
            })
            .Describe("Hosts", "Add a host",
                "Body: `<host><name>kvm2</name><address>kvm2.example.com</address><cluster id=\"…\"/></host>`. `address` is a host name " +
                "(reached as `qemu+ssh://root@address/system`, key-based sign-in) or a libvirt URI. A host that cannot be reached yet is " +
                "added non_responsive, with libvirt's reason in a `Warning` header. Replies 201. Admin only.")
            .Takes<HostRepresentation>().Returns<HostRepresentation>(201).Faults(400, 404, 409);

        api.MapDelete("/hosts/{id}", async (HttpContext http, string id, RemoveHostCommand remove) =>
            {
                var hostId = EndpointHelpers.PathId(id, "host");
                var result = await remove.ExecuteAsync(new RemoveHostRequest(hostId), http.Actor());
                return result.Succeeded ? Results.Ok() : throw ApiFault.From(result);
            })
            .Describe("Hosts", "Remove a host",
                "Refused for the configured host and while its VMs run. Its VMs leave the portal; their domains stay on the host. Admin only.")
            .Produces(200).Faults(404, 409);
    }

    private static async Task<IResult> CloneAsync(HttpContext http, CloneVmFromSnapshotCommand clone, PortalQueries q, VmHardwareCache hardware, InFlightSnapshots inFlight)
    {
        var body = await ApiInput.ReadAsync(http, "vm", allowEmpty: false);
        var snapshotId = body.Items("snapshots", "snapshot").Select(s => s.Id()).FirstOrDefault(i => i is not null)
                         ?? throw ApiFault.BadRequest("vm.snapshots.snapshot.id is required: the portal makes new VMs from a snapshot (templates are not supported).");
        var source = await q.SnapshotOwnerAsync(snapshotId) ?? throw ApiFault.NotFound($"There is no snapshot with id {snapshotId}.");
        var result = await clone.ExecuteAsync(new CloneVmFromSnapshotRequest(source, snapshotId, body.String("name") ?? ""), http.Actor());
        if (!result.Succeeded) throw ApiFault.From(result);
        var id = result.ValueAs<Guid>();
        var vm = await q.VmResourceAsync(id) ?? throw ApiFault.NotFound("The new VM was removed before it could be shown.");
        var representation = (await VmEndpoints.RepresentAsync([vm], new HashSet<string>(), q, hardware, inFlight, http.RequestAborted))[0];
        return new OvirtResult<VmRepresentation>(representation, StatusCodes.Status201Created, result.WarningList, ApiPaths.Vm(id));
    }

    /// <summary>A storage domain named by id or by name.</summary>
    private static async Task<Guid> DomainAsync(PortalQueries q, ApiInput? reference, string path)
    {
        if (reference is null) throw ApiFault.Incomplete($"{path} is required.");
        if (reference.Id() is { } id) return id;
        var name = reference.String("name") ?? throw ApiFault.Incomplete($"{path}.id or {path}.name is required.");
        return (await q.StorageDomainsAsync()).FirstOrDefault(d => d.Name == name)?.Id ?? throw ApiFault.NotFound($"There is no storage domain named {name}.");
    }

    /// <summary>A cluster given by id or by name (as oVirt's clients send either); null when the body names none.</summary>
    private static async Task<Guid?> ClusterAsync(PortalQueries q, ApiInput? reference, string path)
    {
        if (reference is null) return null;
        if (reference.Id() is { } id) return id;
        var name = reference.String("name") ?? throw ApiFault.Incomplete($"{path}.id or {path}.name is required.");
        return (await q.ClustersAsync()).FirstOrDefault(c => c.Name == name)?.Id ?? throw ApiFault.NotFound($"There is no cluster named {name}.");
    }

    private static bool Flag(IQueryCollection query, string name) =>
        query.TryGetValue(name, out var v) && (v.ToString().Equals("true", StringComparison.OrdinalIgnoreCase) || v.ToString() == "1");
}
