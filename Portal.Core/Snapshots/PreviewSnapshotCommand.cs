using Portal.Core.Commands;
using Portal.Core.Vms;

namespace Portal.Core.Snapshots;

/// <param name="RestoreMemory">Give the new Active the snapshot's memory, so the next run restores it. Ignored when the snapshot has none.</param>
public sealed record PreviewSnapshotRequest(Guid VmId, Guid SnapshotId, bool RestoreMemory = true) : IVmRequest;

/// <summary>What the snapshot commands that target one snapshot offer the UI: why they would refuse it now.</summary>
public interface ISnapshotCommand
{
    /// <summary>Why the operation would be refused for <paramref name="target"/> of this VM now, or null.</summary>
    Refusal? WhyRefused(VmFacts vm, SnapshotFacts? target);
}

/// <summary>
/// Previews a snapshot (oVirt's TryBackToAllSnapshotsOfVmCommand): the Active becomes "Active VM before the preview"
/// and keeps its memory, the snapshot goes InPreview, and a new Active is made from it.
/// </summary>
/// <remarks>Journal steps: <c>overlays-planned</c>, <c>defining</c> (the host's definition changes), then the commit.</remarks>
public sealed class PreviewSnapshotCommand(CommandServices s) : VmCommand<PreviewSnapshotRequest>(s), ISnapshotCommand
{
    public override string Operation => Audit.AuditOperations.PreviewSnapshot;
    protected override bool RequiresAdmin => false;

    protected override Refusal? StateRefusal(VmFacts vm) =>
        Rules.VmIsDown(vm.Status, "preview a snapshot") ?? Rules.NoSnapshotLocked(vm) ?? Rules.NotInPreview(vm) ?? Rules.NotRunningStateless(vm);

    public Refusal? WhyRefused(VmFacts vm, SnapshotFacts? target) =>
        Rules.SnapshotExists(target) ?? WhyRefused(vm) ?? Rules.IsRegular(target!, "preview it");

    private static Snapshot? Target(VmRun<PreviewSnapshotRequest> run) => run.Vm.Snapshots.FirstOrDefault(x => x.Id == run.Request.SnapshotId);

    protected override IEnumerable<Refusal?> Validate(VmRun<PreviewSnapshotRequest> run)
    {
        var target = Target(run);
        yield return Rules.SnapshotExists(target is null ? null : SnapshotFacts.Of(target));
        yield return Rules.IsRegular(SnapshotFacts.Of(target!), "preview it");
    }

    protected override async Task<object?> ExecuteCoreAsync(VmRun<PreviewSnapshotRequest> run, CancellationToken ct)
    {
        var target = Target(run)!;
        var newActive = await SnapshotChain.PreviewAsync(S, run, target, run.Request.RestoreMemory, ct);
        run.Commit();
        run.NotifyAfterSave(new SnapshotChanged(run.Vm.Id, target.Id, "InPreview"));
        await run.SaveAsync("previewed", ct);
        await S.Monitor.SetStatusAsync(run.Vm.Id, VmStatus.Down, "preview ready", ct);
        run.AuditMessage = $"Snapshot-Preview '{target.Description}' for VM {run.Vm.Name} has been completed" +
                           (target.HasMemory ? (newActive.HasMemory ? ", with its memory." : ", without its memory.") : ".");
        return newActive.Id;
    }
}
