using Portal.Api.Model;
using Portal.Core;
using Portal.Core.Commands;
using Portal.Core.Hypervisor;
using Portal.Core.Search;
using Portal.Core.Vms;

namespace Portal.Api.Endpoints;

/// <summary>VMs: the collection, one VM, and the start, stop and shutdown actions.</summary>
internal static class VmEndpoints
{
    public static void MapVmEndpoints(this RouteGroupBuilder api)
    {
        api.MapGet("/vms", async (HttpContext http, PortalQueries q, VmHardwareCache hardware, InFlightSnapshots inFlight, CancellationToken ct) =>
            {
                var search = ApiSearch.From(http.Request, PortalSearches.Vms);
                var follow = ApiSearch.Follow(http.Request, "snapshots", "cluster");
                var rows = await q.SearchVmsAsync(search, ct);
                return Ovirt.Ok(new VmList { Items = await RepresentAsync(rows, follow, q, hardware, inFlight, ct) });
            })
            .Describe("VMs", "List VMs",
                "Each with its `status` (oVirt's spelling: up, down, restoring_state…), memory in bytes, cluster, host and `display`. " +
                "`search` takes oVirt's search language: `name=web*`, `status=up`, `cluster=`, `host=`, joined with `and` / `or`, " +
                "then `sortby name asc|desc` and `page N` (pages of `max`); `case_sensitive=false` ignores case. An unsupported term is 400. " +
                "`max` limits the count; `follow=snapshots,cluster` embeds them; `all_content=true` is accepted (representations are complete).")
            .Returns<VmList>().Faults(400);

        api.MapGet("/vms/{id}", async (HttpContext http, string id, PortalQueries q, VmHardwareCache hardware, InFlightSnapshots inFlight, CancellationToken ct) =>
            {
                var vmId = EndpointHelpers.PathId(id, "VM");
                var follow = ApiSearch.Follow(http.Request, "snapshots", "cluster");
                _ = ApiSearch.Flag(http.Request, "all_content");
                var vm = await q.VmResourceAsync(vmId, ct) ?? throw ApiFault.NotFound($"There is no VM with id {vmId}.");
                return Ovirt.Ok((await RepresentAsync([vm], follow, q, hardware, inFlight, ct))[0]);
            })
            .Describe("VMs", "Get a VM", "`follow=snapshots,cluster` embeds them; `all_content=true` is accepted.")
            .Returns<VmRepresentation>().Faults(400, 404);

        api.MapGet("/vms/{id}/numanodes", async (string id, PortalQueries q, IHypervisor hypervisor, CancellationToken ct) =>
            {
                var vmId = EndpointHelpers.PathId(id, "VM");
                if (await q.VmAsync(vmId, ct) is null) throw ApiFault.NotFound($"There is no VM with id {vmId}.");
                string xml;
                try { xml = await hypervisor.GetDomainXmlAsync(vmId, inactive: true, ct); }
                catch (HypervisorException ex) { throw new ApiFault(StatusCodes.Status409Conflict, "Operation Failed", ex.LibvirtMessage); }
                return Ovirt.Ok(new NumaNodeList { Items = NumaNodes.FromDomainXml(vmId, xml) });
            })
            .Describe("VMs", "List a VM's virtual NUMA nodes",
                "The domain's NUMA cells (`cpu/numa/cell`), as oVirt's vm_numa_node: index, memory (MiB) and the vCPUs. Read only. " +
                "Ansible's ovirt_vm lists them on every run.")
            .Returns<NumaNodeList>().Faults(404, 409);

        api.MapPost("/vms/{id}/start", async (HttpContext http, string id, RunVmCommand run) =>
            {
                var vmId = EndpointHelpers.PathId(id, "VM");
                var body = await ApiInput.ReadAsync(http, "action", allowEmpty: true);
                // Run-once options would silently mean something else here: say so instead.
                body.Refuse("vm", "run-once configuration is not supported; the VM starts with its own configuration.");
                if (body.Boolean("pause") == true) throw ApiFault.BadRequest("action.pause is not supported: the VM cannot be started paused.");
                if (body.Boolean("volatile") == true) throw ApiFault.BadRequest("action.volatile is not supported: use a stateless VM instead.");
                return ActionReply(await run.ExecuteAsync(new RunVmRequest(vmId), http.Actor()));
            })
            .Describe("VMs", "Start a VM",
                "Body: `<action/>`. When the VM's active snapshot holds memory (after a preview or commit with restore_memory) " +
                "the VM is restored from it (restoring_state, then up) instead of booting (powering_up, then up). Admin and Helpdesk.")
            .Takes<ActionInput>().Returns<ActionResult>().IsAction().Faults(400, 404, 409);

        api.MapPost("/vms/{id}/stop", (HttpContext http, string id, StopVmCommand stop) =>
                RunActionAsync(http, id, vmId => stop.ExecuteAsync(new StopVmRequest(vmId), http.Actor())))
            .Describe("VMs", "Power a VM off", "Body: `<action/>`. Admin and Helpdesk.")
            .Takes<ActionInput>().Returns<ActionResult>().IsAction().Faults(400, 404, 409);

        api.MapPost("/vms/{id}/shutdown", (HttpContext http, string id, StopVmCommand stop) =>
                RunActionAsync(http, id, vmId => stop.ExecuteAsync(new StopVmRequest(vmId, Graceful: true), http.Actor())))
            .Describe("VMs", "Ask the guest to shut down (ACPI)", "Body: `<action/>`. Replies once the request is sent; the VM goes down when the guest has finished. Admin and Helpdesk.")
            .Takes<ActionInput>().Returns<ActionResult>().IsAction().Faults(400, 404, 409);
    }

    /// <summary>An action with no parameters: the body, if any, must be an &lt;action/&gt;; the command does the rest.</summary>
    public static async Task<IResult> RunActionAsync(HttpContext http, string id, Func<Guid, Task<CommandResult>> run)
    {
        var vmId = EndpointHelpers.PathId(id, "VM");
        await ApiInput.ReadAsync(http, "action", allowEmpty: true);
        return ActionReply(await run(vmId));
    }

    public static IResult ActionReply(CommandResult result) =>
        result.Succeeded ? Ovirt.Ok(new ActionResult(), result.WarningList) : throw ApiFault.From(result);

    /// <summary>The representations of <paramref name="rows"/>, with what <c>follow</c> asked embedded.</summary>
    public static async Task<List<VmRepresentation>> RepresentAsync(IReadOnlyList<VmResourceRow> rows, IReadOnlySet<string> follow, PortalQueries q,
        VmHardwareCache hardwareCache, InFlightSnapshots inFlight, CancellationToken ct)
    {
        var hardware = await hardwareCache.GetAllAsync(rows, ct);
        var followSnapshots = follow.Contains("snapshots");
        var followCluster = follow.Contains("cluster");
        var items = new List<VmRepresentation>(rows.Count);
        foreach (var v in rows)
        {
            var snapshots = followSnapshots
                ? (await q.SnapshotsAsync(v.Id, ct)).Select(s => Representations.Snapshot(s, inFlight.IsRunning(s.Id))).ToList()
                : null;
            items.Add(Representations.Vm(v, hardware[v.Id], followCluster, snapshots));
        }
        return items;
    }
}
