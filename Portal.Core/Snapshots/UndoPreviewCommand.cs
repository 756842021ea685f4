using Portal.Core.Commands;
using Portal.Core.Vms;

namespace Portal.Core.Snapshots;

public sealed record UndoPreviewRequest(Guid VmId) : IVmRequest;

/// <summary>Undoes a preview: the pre-preview Active comes back with its memory; the preview's Active goes.</summary>
/// <remarks>
/// Journal steps: <c>defining</c> (the host gets the pre-preview definition back), then one transaction for every
/// row (the preview's Active removed, the old one Active again, the snapshot Ok), then the cleanups.
/// </remarks>
public sealed class UndoPreviewCommand(CommandServices s) : VmCommand<UndoPreviewRequest>(s)
{
    public override string Operation => Audit.AuditOperations.UndoPreview;
    protected override bool RequiresAdmin => false;

    protected override Refusal? StateRefusal(VmFacts vm) =>
        Rules.VmIsDown(vm.Status, "undo a preview") ?? Rules.InPreview(vm) ?? Rules.NoSnapshotLocked(vm)
        ?? (vm.HasPreviewSnapshot ? null : new Refusal("The snapshot from before the preview is missing; the preview can only be committed."));

    protected override async Task<object?> ExecuteCoreAsync(VmRun<UndoPreviewRequest> run, CancellationToken ct)
    {
        var vm = run.Vm;
        var previewed = vm.Snapshots.Single(x => x.Status == SnapshotStatus.InPreview);
        var before = vm.Snapshots.Single(x => x.Type == SnapshotType.Preview);
        var previewActive = run.Active;
        await S.Monitor.SetStatusAsync(vm.Id, VmStatus.ImageLocked, "undoing a preview", ct);
        var current = await S.Hypervisor.GetDomainXmlAsync(vm.Id, inactive: true, ct);
        if (current != before.ConfigurationXml && !string.IsNullOrWhiteSpace(before.ConfigurationXml))
        {
            await run.WillAsync("defining", new RedefineDomainStep(vm.Id, current), ct);
            await S.Hypervisor.DefineDomainAsync(before.ConfigurationXml, ct);
        }

        previewed.Status = SnapshotStatus.Ok;
        vm.Snapshots.Remove(previewActive);
        run.Db.Snapshots.Remove(previewActive);
        before.Type = SnapshotType.Active;
        before.Description = Snapshot.ActiveDescription;
        var then = new List<CompensationStep> { new ReleaseDiskOverlaysStep(vm.Id, [previewActive.ConfigurationXml]) };
        if (previewActive.MemoryVolumeId is { } memory) then.Add(new ReleaseMemoryStep([memory]));
        run.Commit([.. then]);
        run.NotifyAfterSave(new SnapshotChanged(vm.Id, previewed.Id, "Undone"));
        await run.SaveAsync("undone", ct);
        await S.Monitor.SetStatusAsync(vm.Id, VmStatus.Down, "preview undone", ct);
        run.AuditMessage = $"Preview of snapshot '{previewed.Description}' for VM {vm.Name} was undone.";
        return before.Id;
    }
}
