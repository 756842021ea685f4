using Portal.Core.Commands;
using Portal.Core.Vms;

namespace Portal.Core.Snapshots;

/// <param name="RestoreMemory">The VM's next run restores the snapshot's memory. Ignored when the snapshot has none.</param>
public sealed record RestoreSnapshotRequest(Guid VmId, Guid SnapshotId, bool RestoreMemory = true) : IVmRequest;

/// <summary>
/// Restores a snapshot in one step (the REST API's <c>restore</c>, Ansible's <c>state: restore</c>): a preview and its
/// commit under one lock and one journal, so it either happens whole or not at all — never a VM left in preview.
/// </summary>
public sealed class RestoreSnapshotCommand(CommandServices s) : VmCommand<RestoreSnapshotRequest>(s), ISnapshotCommand
{
    public override string Operation => Audit.AuditOperations.RestoreSnapshot;

    protected override Refusal? StateRefusal(VmFacts vm) =>
        Rules.VmIsDown(vm.Status, "restore a snapshot") ?? Rules.NoSnapshotLocked(vm) ?? Rules.NotInPreview(vm) ?? Rules.NotRunningStateless(vm);

    public Refusal? WhyRefused(VmFacts vm, SnapshotFacts? target) =>
        Rules.SnapshotExists(target) ?? WhyRefused(vm) ?? Rules.IsRegular(target!, "restore it");

    private static Snapshot? Target(VmRun<RestoreSnapshotRequest> run) => run.Vm.Snapshots.FirstOrDefault(x => x.Id == run.Request.SnapshotId);

    protected override IEnumerable<Refusal?> Validate(VmRun<RestoreSnapshotRequest> run)
    {
        var target = Target(run);
        yield return Rules.SnapshotExists(target is null ? null : SnapshotFacts.Of(target));
        yield return Rules.IsRegular(SnapshotFacts.Of(target!), "restore it");
    }

    protected override async Task<object?> ExecuteCoreAsync(VmRun<RestoreSnapshotRequest> run, CancellationToken ct)
    {
        var vm = run.Vm;
        var target = Target(run)!;
        var newActive = await SnapshotChain.PreviewAsync(S, run, target, run.Request.RestoreMemory, ct);
        var (_, removed, then) = SnapshotChain.Commit(run, vm);
        run.Commit(then);
        run.NotifyAfterSave(new SnapshotChanged(vm.Id, target.Id, "Committed"));
        await run.SaveAsync("restored", ct);
        await S.Monitor.SetStatusAsync(vm.Id, VmStatus.Down, "snapshot restored", ct);
        run.AuditMessage = $"VM {vm.Name} was restored from Snapshot '{target.Description}'" +
                           (target.HasMemory ? (newActive.HasMemory ? ", with its memory" : ", without its memory") : "") +
                           $" ({removed} newer snapshot(s) removed).";
        return newActive.Id;
    }
}
