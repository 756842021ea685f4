using Portal.Core.Commands;
using Portal.Core.Vms;

namespace Portal.Core.Snapshots;

public sealed record UndoPreviewRequest(Guid VmId) : IVmRequest;

/// <summary>Undoes a preview: the pre-preview Active comes back with its memory; the preview's Active goes.</summary>
public sealed class UndoPreviewCommand(CommandServices s) : VmCommand<UndoPreviewRequest>(s)
{
    public override string Operation => "Undo preview";
    protected override bool RequiresAdmin => false;

    protected override IEnumerable<Refusal?> Validate(CommandContext<UndoPreviewRequest> ctx)
    {
        yield return Rules.VmIsDown(ctx.Status, "undo a preview");
        yield return Rules.InPreview(ctx.Vm);
        yield return Rules.NoSnapshotLocked(ctx.Vm);
        yield return ctx.Vm.Snapshots.Any(x => x.Type == SnapshotType.Preview) ? null
            : new Refusal("The snapshot from before the preview is missing; the preview can only be committed.");
    }

    protected override async Task<object?> ExecuteCoreAsync(CommandContext<UndoPreviewRequest> ctx, CancellationToken ct)
    {
        var vm = ctx.Vm;
        var previewed = vm.Snapshots.Single(x => x.Status == SnapshotStatus.InPreview);
        var before = vm.Snapshots.Single(x => x.Type == SnapshotType.Preview);
        var previewActive = ctx.Active;
        await S.Monitor.SetStatusAsync(vm.Id, VmStatus.ImageLocked, "undoing a preview", ct);
        await SnapshotChain.RedefineAsync(S, vm, before, ct);

        previewed.Status = SnapshotStatus.Ok;
        var memory = previewActive.MemoryVolumeId;
        vm.Snapshots.Remove(previewActive);
        ctx.Db.Snapshots.Remove(previewActive);
        await ctx.Db.SaveChangesAsync(ct);
        before.Type = SnapshotType.Active;
        before.Description = Snapshot.ActiveDescription;
        await ctx.Db.SaveChangesAsync(ct);
        await S.Memory.ReleaseUnreferencedAsync(ctx.Db, [memory], ct);
        await SnapshotChain.ReleaseDiskOverlaysAsync(S, vm, [previewActive.ConfigurationXml], ct);
        await S.Monitor.SetStatusAsync(vm.Id, VmStatus.Down, "preview undone", ct);
        S.Notifier.Publish(new SnapshotChanged(vm.Id, previewed.Id, "Undone"));
        ctx.AuditMessage = $"Preview of snapshot '{previewed.Description}' for VM {vm.Name} was undone.";
        return before.Id;
    }

    protected override async Task CompensateAsync(CommandContext<UndoPreviewRequest> ctx, Exception error)
    {
        ctx.Db.ChangeTracker.Clear();
        var active = ctx.Db.Snapshots.FirstOrDefault(x => x.VmId == ctx.Vm.Id && x.Type == SnapshotType.Active);
        if (active is not null) await SnapshotChain.RedefineAsync(S, ctx.Vm, active, CancellationToken.None);
        await S.Monitor.RefreshFromHostAsync(ctx.Vm.Id, "undo failed", CancellationToken.None);
    }
}
