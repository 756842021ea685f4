using Portal.Api.Model;
using Portal.Core;
using Portal.Core.Commands;
using Portal.Core.Vms;

namespace Portal.Api.Endpoints;

/// <summary>VMs: the collection, one VM, and the start, stop and shutdown actions.</summary>
internal static class VmEndpoints
{
    public static void MapVmEndpoints(this RouteGroupBuilder api)
    {
        api.MapGet("/vms", async (PortalQueries q, CancellationToken ct) =>
            {
                var (clusters, hosts) = await LookupsAsync(q, ct);
                return Ovirt.Ok(new VmList { Items = (await q.VmsAsync(ct)).Select(v => Representations.Vm(v, clusters, hosts)).ToList() });
            })
            .Describe("VMs", "List VMs", "Each with its `status` (oVirt's spelling: up, down, restoring_state…), memory in bytes, cluster and host.")
            .Returns<VmList>().Faults();

        api.MapGet("/vms/{id}", async (string id, PortalQueries q, CancellationToken ct) =>
            {
                var vmId = EndpointHelpers.PathId(id, "VM");
                var vm = await q.VmAsync(vmId, ct) ?? throw ApiFault.NotFound($"There is no VM with id {vmId}.");
                var (clusters, hosts) = await LookupsAsync(q, ct);
                return Ovirt.Ok(Representations.Vm(vm, clusters, hosts));
            })
            .Describe("VMs", "Get a VM", "")
            .Returns<VmRepresentation>().Faults(404);

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
            .Takes<ActionInput>().Returns<ActionResult>().Faults(400, 404, 409);

        api.MapPost("/vms/{id}/stop", (HttpContext http, string id, StopVmCommand stop) =>
                RunActionAsync(http, id, vmId => stop.ExecuteAsync(new StopVmRequest(vmId), http.Actor())))
            .Describe("VMs", "Power a VM off", "Body: `<action/>`. Admin and Helpdesk.")
            .Takes<ActionInput>().Returns<ActionResult>().Faults(400, 404, 409);

        api.MapPost("/vms/{id}/shutdown", (HttpContext http, string id, StopVmCommand stop) =>
                RunActionAsync(http, id, vmId => stop.ExecuteAsync(new StopVmRequest(vmId, Graceful: true), http.Actor())))
            .Describe("VMs", "Ask the guest to shut down (ACPI)", "Body: `<action/>`. Replies once the request is sent; the VM goes down when the guest has finished. Admin and Helpdesk.")
            .Takes<ActionInput>().Returns<ActionResult>().Faults(400, 404, 409);
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

    private static async Task<(Dictionary<string, Guid> Clusters, Dictionary<string, Guid> Hosts)> LookupsAsync(PortalQueries q, CancellationToken ct)
    {
        var clusters = (await q.ClustersAsync(ct)).GroupBy(c => c.Name).ToDictionary(g => g.Key, g => g.First().Id);
        var hosts = (await q.HostsAsync(ct)).GroupBy(h => h.Name).ToDictionary(g => g.Key, g => g.First().Id);
        return (clusters, hosts);
    }
}
