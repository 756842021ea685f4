using Portal.Core.Commands;
using Portal.Core.Vms;

namespace Portal.Core.Snapshots;

public sealed record RemoveSnapshotRequest(Guid VmId, Guid SnapshotId) : IVmRequest;

/// <summary>Removes a snapshot; its memory volume goes only when no other snapshot references it.</summary>
/// <remarks>
/// Journal steps: <c>locked</c> (the row Locked), <c>host-record-removed</c> (the hypervisor's record, which can be
/// redefined from the XML the portal keeps), then the row's removal as the commit, then the cleanups.
/// </remarks>
public sealed class RemoveSnapshotCommand(CommandServices s) : VmCommand<RemoveSnapshotRequest>(s), ISnapshotCommand
{
    public override string Operation => Audit.AuditOperations.RemoveSnapshot;

    // Live merge is out of scope: the disks of a running VM cannot be merged here.
    protected override Refusal? StateRefusal(VmFacts vm) => Rules.VmIsDown(vm.Status, "remove a snapshot");

    public Refusal? WhyRefused(VmFacts vm, SnapshotFacts? target) =>
        Rules.SnapshotExists(target) ?? WhyRefused(vm) ?? Rules.SnapshotIsOk(target!, "remove it") ?? Rules.IsRegular(target!, "remove it");

    private static Snapshot? Target(VmRun<RemoveSnapshotRequest> run) => run.Vm.Snapshots.FirstOrDefault(x => x.Id == run.Request.SnapshotId);

    protected override IEnumerable<Refusal?> Validate(VmRun<RemoveSnapshotRequest> run)
    {
        var target = Target(run);
        yield return Rules.SnapshotExists(target is null ? null : SnapshotFacts.Of(target));
        yield return Rules.SnapshotIsOk(SnapshotFacts.Of(target!), "remove it");
        yield return Rules.IsRegular(SnapshotFacts.Of(target!), "remove it");
    }

    protected override async Task<object?> ExecuteCoreAsync(VmRun<RemoveSnapshotRequest> run, CancellationToken ct)
    {
        var vm = run.Vm;
        var target = Target(run)!;
        target.Status = SnapshotStatus.Locked;
        run.OnUndo(new SetSnapshotStatusStep(vm.Id, target.Id, SnapshotStatus.Ok));
        run.NotifyAfterSave(new SnapshotChanged(vm.Id, target.Id, "Locked"));
        await run.SaveAsync("locked", ct);
        if (target.HypervisorName is { } name)
        {
            if (target.HypervisorXml is { } xml) run.OnUndo(new RedefineHypervisorSnapshotStep(vm.Id, name, xml));
            await run.SaveAsync("removing-host-record", ct);
            await S.Hypervisor.DeleteSnapshotAsync(vm.Id, name, ct);
        }
        var memory = target.MemoryVolumeId;
        target.HypervisorName = null; // its record is gone already; the cleanup need not look for it
        run.Commit(SnapshotChain.RemoveRows(run, vm, [target]).Where(step => step is not ReleaseMemoryStep).ToArray());
        await run.SaveAsync("removed", ct);
        // Released here rather than as a cleanup, to say what happened to it: a volume the host refuses to delete stays
        // recorded, and the orphan collector removes it once the host answers (as it would after a crash right here).
        var released = await S.Memory.ReleaseUnreferencedAsync(run.Db, [memory], ct);
        var shared = memory is { } id && vm.Snapshots.Any(x => x.MemoryVolumeId == id);
        run.AuditMessage = $"Snapshot '{target.Description}' deletion for VM {vm.Name} has been completed" +
                           (memory is null ? "." : released > 0 ? "; its memory volume was removed."
                               : shared ? "; its memory volume is still used by another snapshot."
                               : "; its memory volume could not be deleted yet and is removed as soon as the host answers.");
        return released;
    }
}
