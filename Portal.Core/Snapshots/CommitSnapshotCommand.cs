using Portal.Core.Commands;
using Portal.Core.Vms;

namespace Portal.Core.Snapshots;

public sealed record CommitSnapshotRequest(Guid VmId) : IVmRequest;

/// <summary>
/// Commits the snapshot in preview (oVirt's RestoreAllSnapshotsCommand): the new Active stays with its memory,
/// the pre-preview Active and every snapshot newer than the committed one go, and so do their memory volumes
/// when nothing else references them.
/// </summary>
public sealed class CommitSnapshotCommand(CommandServices s) : VmCommand<CommitSnapshotRequest>(s)
{
    public override string Operation => "Commit snapshot";

    protected override IEnumerable<Refusal?> Validate(CommandContext<CommitSnapshotRequest> ctx)
    {
        yield return Rules.VmIsDown(ctx.Status, "commit a snapshot");
        yield return Rules.InPreview(ctx.Vm);
        yield return Rules.NoSnapshotLocked(ctx.Vm);
    }

    protected override async Task<object?> ExecuteCoreAsync(CommandContext<CommitSnapshotRequest> ctx, CancellationToken ct)
    {
        var vm = ctx.Vm;
        var committed = vm.Snapshots.Single(x => x.Status == SnapshotStatus.InPreview);
        await S.Monitor.SetStatusAsync(vm.Id, VmStatus.ImageLocked, "committing a snapshot", ct);
        var doomed = vm.Snapshots.Where(x =>
            x.Type == SnapshotType.Preview ||
            (x.Type == SnapshotType.Regular && x.Id != committed.Id && x.CreatedAt > committed.CreatedAt)).ToList();
        committed.Status = SnapshotStatus.Ok;
        await ctx.Db.SaveChangesAsync(ct);
        var released = await SnapshotChain.RemoveAsync(S, ctx.Db, vm, doomed, ct);
        await S.Monitor.SetStatusAsync(vm.Id, VmStatus.Down, "snapshot committed", ct);
        S.Notifier.Publish(new SnapshotChanged(vm.Id, committed.Id, "Committed"));
        ctx.AuditMessage = $"VM {vm.Name} was restored from Snapshot '{committed.Description}'" +
                           $" ({doomed.Count(d => d.Type == SnapshotType.Regular)} newer snapshot(s) removed, {released} memory volume(s) freed).";
        return committed.Id;
    }

    protected override Task CompensateAsync(CommandContext<CommitSnapshotRequest> ctx, Exception error) =>
        S.Monitor.RefreshFromHostAsync(ctx.Vm.Id, "commit failed", CancellationToken.None);
}
