using Portal.Core.Commands;
using Portal.Core.Vms;

namespace Portal.Core.Snapshots;

/// <param name="RestoreMemory">Give the new Active the snapshot's memory, so the next run restores it. Ignored when the snapshot has none.</param>
public sealed record PreviewSnapshotRequest(Guid VmId, Guid SnapshotId, bool RestoreMemory = true) : IVmRequest;

/// <summary>
/// Previews a snapshot (oVirt's TryBackToAllSnapshotsOfVmCommand): the Active becomes "Active VM before the preview"
/// and keeps its memory, the snapshot goes InPreview, and a new Active is made from it.
/// </summary>
public sealed class PreviewSnapshotCommand(CommandServices s) : VmCommand<PreviewSnapshotRequest>(s)
{
    public override string Operation => "Preview snapshot";
    protected override bool RequiresAdmin => false;

    private static Snapshot? Target(CommandContext<PreviewSnapshotRequest> ctx) =>
        ctx.Vm.Snapshots.FirstOrDefault(x => x.Id == ctx.Request.SnapshotId);

    protected override IEnumerable<Refusal?> Validate(CommandContext<PreviewSnapshotRequest> ctx)
    {
        yield return Rules.SnapshotExists(Target(ctx));
        yield return Rules.VmIsDown(ctx.Status, "preview a snapshot");
        yield return Rules.NoSnapshotLocked(ctx.Vm);
        yield return Rules.NotInPreview(ctx.Vm);
        yield return Rules.NotRunningStateless(ctx.Vm);
        yield return Rules.IsRegular(Target(ctx)!, "preview it");
    }

    protected override async Task<object?> ExecuteCoreAsync(CommandContext<PreviewSnapshotRequest> ctx, CancellationToken ct)
    {
        var vm = ctx.Vm;
        var target = Target(ctx)!;
        var oldActive = ctx.Active;
        var restore = ctx.Request.RestoreMemory && target.HasMemory && vm.Cluster!.SupportsMemorySnapshots;
        await S.Monitor.SetStatusAsync(vm.Id, VmStatus.ImageLocked, "previewing a snapshot", ct);

        await SnapshotChain.RedefineAsync(S, vm, target, ct);
        oldActive.Type = SnapshotType.Preview;
        oldActive.Description = Snapshot.PreviewDescription;
        target.Status = SnapshotStatus.InPreview;
        var newActive = new Snapshot
        {
            VmId = vm.Id, Description = Snapshot.ActiveDescription, CreatedAt = S.Now, Type = SnapshotType.Active,
            Status = SnapshotStatus.Ok, ConfigurationXml = target.ConfigurationXml, ParentId = target.Id,
            MemoryVolumeId = restore ? target.MemoryVolumeId : null,
        };
        vm.Snapshots.Add(newActive);
        await ctx.Db.SaveChangesAsync(ct);
        await S.Monitor.SetStatusAsync(vm.Id, VmStatus.Down, "preview ready", ct);
        S.Notifier.Publish(new SnapshotChanged(vm.Id, target.Id, "InPreview"));
        ctx.AuditMessage = $"Snapshot-Preview '{target.Description}' for VM {vm.Name} has been completed" +
                           (target.HasMemory ? (restore ? ", with its memory." : ", without its memory.") : ".");
        return newActive.Id;
    }

    protected override async Task CompensateAsync(CommandContext<PreviewSnapshotRequest> ctx, Exception error)
    {
        // Nothing was saved unless SaveChanges ran, and it is the last step: put the host's definition back.
        ctx.Db.ChangeTracker.Clear();
        var active = ctx.Db.Snapshots.FirstOrDefault(x => x.VmId == ctx.Vm.Id && x.Type == SnapshotType.Active);
        if (active is not null) await SnapshotChain.RedefineAsync(S, ctx.Vm, active, CancellationToken.None);
        await S.Monitor.RefreshFromHostAsync(ctx.Vm.Id, "preview failed", CancellationToken.None);
    }
}
