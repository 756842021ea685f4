using Portal.Api.Model;
using Portal.Core;
using Portal.Core.Commands;
using Portal.Core.Snapshots;

namespace Portal.Api.Endpoints;

/// <summary>
/// Snapshots of a VM, and the preview / commit / undo / restore actions, in oVirt v4's shapes. An omitted
/// <c>persist_memorystate</c> or <c>restore_memory</c> means true, as in oVirt 4.x (oVirt 3.3 defaulted to false).
/// </summary>
internal static class SnapshotEndpoints
{
    public static void MapSnapshotEndpoints(this RouteGroupBuilder api)
    {
        api.MapGet("/vms/{id}/snapshots", async (string id, PortalQueries q, InFlightSnapshots inFlight, CancellationToken ct) =>
            {
                var vmId = await ExistingVmAsync(q, id, ct);
                return Ovirt.Ok(new SnapshotList { Items = (await q.SnapshotsAsync(vmId, ct)).Select(s => Representations.Snapshot(s, inFlight.IsRunning(s.Id))).ToList() });
            })
            .Describe("Snapshots", "List a VM's snapshots",
                "The active snapshot first, then newest first. `persist_memorystate` is true when the snapshot holds memory; " +
                "`snapshot_status` is ok, locked or in_preview; `snapshot_type` is regular, active, stateless or preview.")
            .Returns<SnapshotList>().Faults(404);

        api.MapGet("/vms/{id}/snapshots/{sid}", async (string id, string sid, PortalQueries q, InFlightSnapshots inFlight, CancellationToken ct) =>
            {
                var snapshot = await SnapshotAsync(q, id, sid, ct);
                return Ovirt.Ok(Representations.Snapshot(snapshot, inFlight.IsRunning(snapshot.Id)));
            })
            .Describe("Snapshots", "Get a snapshot", "Poll this after creating a snapshot until `snapshot_status` is ok.")
            .Returns<SnapshotRepresentation>().Faults(404);

        api.MapPost("/vms/{id}/snapshots", CreateAsync)
            .Describe("Snapshots", "Create a snapshot",
                "Body: `<snapshot><description>…</description><persist_memorystate>true</persist_memorystate></snapshot>`. " +
                "An omitted persist_memorystate means **true** (oVirt 4.x; oVirt 3.3 defaulted to false). Memory is saved only for a " +
                "running VM in a cluster at 3.3 or later; otherwise the flag is ignored and a `Warning` header says why. " +
                "Replies 202 with the snapshot while it is still locked (poll it until ok), or, with `Expect: 201-created`, " +
                "waits and replies 201 with the finished snapshot. Admin and Helpdesk.")
            .Takes<SnapshotInput>().Returns<SnapshotRepresentation>(202).Returns<SnapshotRepresentation>(201).Faults(400, 404, 409, 413, 415);

        api.MapDelete("/vms/{id}/snapshots/{sid}", async (HttpContext http, string id, string sid, RemoveSnapshotCommand remove) =>
            {
                var vmId = EndpointHelpers.PathId(id, "VM");
                var snapshotId = EndpointHelpers.PathId(sid, "snapshot");
                var result = await remove.ExecuteAsync(new RemoveSnapshotRequest(vmId, snapshotId), http.Actor());
                return result.Succeeded ? Results.Ok() : throw ApiFault.From(result);
            })
            .Describe("Snapshots", "Remove a snapshot",
                "The VM must be down. Its memory volume goes when no other snapshot references it. Replies 200 with no body. Admin only.")
            .Produces(200).Faults(404, 409);

        api.MapPost("/vms/{id}/previewsnapshot", async (HttpContext http, string id, PreviewSnapshotCommand preview) =>
            {
                var vmId = EndpointHelpers.PathId(id, "VM");
                var body = await ApiInput.ReadAsync(http, "action", allowEmpty: false);
                body.Refuse("disks", "a preview always includes every disk of the snapshot.");
                var snapshotId = body.Child("snapshot")?.Id() ?? throw ApiFault.Incomplete("action.snapshot.id is required for previewsnapshot.");
                var restoreMemory = body.Boolean("restore_memory") ?? true;
                return VmEndpoints.ActionReply(await preview.ExecuteAsync(new PreviewSnapshotRequest(vmId, snapshotId, restoreMemory), http.Actor()));
            })
            .Describe("Snapshots", "Preview a snapshot",
                "Body: `<action><snapshot id=\"…\"/><restore_memory>true</restore_memory></action>`. The VM must be down. An omitted " +
                "restore_memory means **true**: the next start restores the snapshot's memory. Admin and Helpdesk.")
            .Takes<ActionInput>().Returns<ActionResult>().IsAction().Faults(400, 404, 409);

        api.MapPost("/vms/{id}/commitsnapshot", (HttpContext http, string id, CommitSnapshotCommand commit) =>
                VmEndpoints.RunActionAsync(http, id, vmId => commit.ExecuteAsync(new CommitSnapshotRequest(vmId), http.Actor())))
            .Describe("Snapshots", "Commit the snapshot in preview",
                "Body: `<action/>`. Keeps the previewed state (with its memory, if restored) and removes the newer snapshots. Admin only.")
            .Takes<ActionInput>().Returns<ActionResult>().IsAction().Faults(400, 404, 409);

        api.MapPost("/vms/{id}/undosnapshot", (HttpContext http, string id, UndoPreviewCommand undo) =>
                VmEndpoints.RunActionAsync(http, id, vmId => undo.ExecuteAsync(new UndoPreviewRequest(vmId), http.Actor())))
            .Describe("Snapshots", "Undo the preview", "Body: `<action/>`. Brings back the VM as it was before the preview, with its memory. Admin and Helpdesk.")
            .Takes<ActionInput>().Returns<ActionResult>().IsAction().Faults(400, 404, 409);

        api.MapPost("/vms/{id}/snapshots/{sid}/restore", RestoreAsync)
            .Describe("Snapshots", "Restore a snapshot (preview and commit in one step)",
                "Body: `<action><restore_memory>true</restore_memory></action>`; an omitted restore_memory means **true**. The VM must be down. " +
                "One operation (a preview and its commit, whole or not at all), so Admin only; a refusal or a failure changes nothing.")
            .Takes<ActionInput>().Returns<ActionResult>().IsAction().Faults(400, 404, 409);
    }

    private static async Task<IResult> CreateAsync(HttpContext http, string id, CreateSnapshotCommand create, PortalQueries q, InFlightSnapshots inFlight)
    {
        var vmId = EndpointHelpers.PathId(id, "VM");
        var body = await ApiInput.ReadAsync(http, "snapshot", allowEmpty: false);
        body.Refuse("disk_attachments", "a snapshot always includes every disk of the VM.");
        // The command validates the description (required, length, characters); the API only carries it.
        var request = new CreateSnapshotRequest(vmId, body.String("description") ?? "", body.Boolean("persist_memorystate") ?? true);

        var started = await create.StartAsync(request, http.Actor());
        var wait = http.Request.Headers.Expect.Any(e => e?.Contains("201-created", StringComparison.OrdinalIgnoreCase) == true);
        var done = started.Finished ?? (wait ? await started.Completion : null);
        if (done is { Succeeded: false }) throw ApiFault.From(done);

        var snapshotId = done is not null ? done.ValueAs<Guid>() : (Guid)started.StartedValue!;
        if (done is null) inFlight.Track(snapshotId, started.Completion);
        var row = await q.SnapshotAsync(vmId, snapshotId);
        if (row is null)
        {
            // It failed in the background before we could read it back, and was rolled back: say why.
            var outcome = await started.Completion;
            throw outcome.Succeeded ? ApiFault.NotFound("The snapshot was removed before it could be shown.") : ApiFault.From(outcome);
        }
        return new OvirtResult<SnapshotRepresentation>(Representations.Snapshot(row, inFlight.IsRunning(snapshotId)),
            done is null ? StatusCodes.Status202Accepted : StatusCodes.Status201Created,
            done?.WarningList ?? started.StartedWarnings, ApiPaths.Snapshot(vmId, snapshotId));
    }

    private static async Task<IResult> RestoreAsync(HttpContext http, string id, string sid, RestoreSnapshotCommand restore)
    {
        var vmId = EndpointHelpers.PathId(id, "VM");
        var snapshotId = EndpointHelpers.PathId(sid, "snapshot");
        var body = await ApiInput.ReadAsync(http, "action", allowEmpty: true);
        body.Refuse("disks", "a restore always includes every disk of the snapshot.");
        var restoreMemory = body.Boolean("restore_memory") ?? true;
        // One command: the preview and its commit happen whole, or not at all.
        return VmEndpoints.ActionReply(await restore.ExecuteAsync(new RestoreSnapshotRequest(vmId, snapshotId, restoreMemory), http.Actor()));
    }

    private static async Task<Guid> ExistingVmAsync(PortalQueries q, string id, CancellationToken ct)
    {
        var vmId = EndpointHelpers.PathId(id, "VM");
        return await q.VmAsync(vmId, ct) is null ? throw ApiFault.NotFound($"There is no VM with id {vmId}.") : vmId;
    }

    private static async Task<SnapshotRow> SnapshotAsync(PortalQueries q, string id, string sid, CancellationToken ct)
    {
        var vmId = await ExistingVmAsync(q, id, ct);
        var snapshotId = EndpointHelpers.PathId(sid, "snapshot");
        return await q.SnapshotAsync(vmId, snapshotId, ct)
               ?? throw ApiFault.NotFound($"VM {vmId} has no snapshot with id {snapshotId}.");
    }
}
