using Portal.Core.Commands;
using Portal.Core.Vms;

namespace Portal.Core.Snapshots;

public sealed record CommitSnapshotRequest(Guid VmId) : IVmRequest;

/// <summary>
/// Commits the snapshot in preview (oVirt's RestoreAllSnapshotsCommand): the new Active stays with its memory,
/// the pre-preview Active and every snapshot newer than the committed one go, and so do their memory volumes
/// when nothing else references them.
/// </summary>
/// <remarks>
/// Every database change is one transaction, with the journal row that lists the cleanups on the host (the removed
/// snapshots' records, overlays and memory volumes); interrupted after it, recovery finishes the cleanups.
/// </remarks>
public sealed class CommitSnapshotCommand(CommandServices s) : VmCommand<CommitSnapshotRequest>(s)
{
    public override string Operation => Audit.AuditOperations.CommitSnapshot;

    protected override Refusal? StateRefusal(VmFacts vm) =>
        Rules.VmIsDown(vm.Status, "commit a snapshot") ?? Rules.InPreview(vm) ?? Rules.NoSnapshotLocked(vm);

    protected override async Task<object?> ExecuteCoreAsync(VmRun<CommitSnapshotRequest> run, CancellationToken ct)
    {
        var vm = run.Vm;
        await S.Monitor.SetStatusAsync(vm.Id, VmStatus.ImageLocked, "committing a snapshot", ct);
        var (committed, removed, then) = SnapshotChain.Commit(run, vm);
        var memory = then.OfType<ReleaseMemoryStep>().Sum(m => m.MemoryVolumeIds.Count);
        run.Commit(then);
        run.NotifyAfterSave(new SnapshotChanged(vm.Id, committed.Id, "Committed"));
        await run.SaveAsync("committed", ct);
        await S.Monitor.SetStatusAsync(vm.Id, VmStatus.Down, "snapshot committed", ct);
        run.AuditMessage = $"VM {vm.Name} was restored from Snapshot '{committed.Description}'" +
                           $" ({removed} newer snapshot(s) removed, {memory} memory volume(s) freed).";
        return committed.Id;
    }
}
