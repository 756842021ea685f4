using Portal.Core.Commands;
using Portal.Core.Vms;

namespace Portal.Core.Snapshots;

public sealed record RemoveSnapshotRequest(Guid VmId, Guid SnapshotId) : IVmRequest;

/// <summary>Removes a snapshot; its memory volume goes only when no other snapshot references it.</summary>
public sealed class RemoveSnapshotCommand(CommandServices s) : VmCommand<RemoveSnapshotRequest>(s)
{
    public override string Operation => "Remove snapshot";

    private static Snapshot? Target(CommandContext<RemoveSnapshotRequest> ctx) =>
        ctx.Vm.Snapshots.FirstOrDefault(x => x.Id == ctx.Request.SnapshotId);

    protected override IEnumerable<Refusal?> Validate(CommandContext<RemoveSnapshotRequest> ctx)
    {
        yield return Rules.SnapshotExists(Target(ctx));
        // Live merge is out of scope: the disks of a running VM cannot be merged here.
        yield return Rules.VmIsDown(ctx.Status, "remove a snapshot");
        yield return Rules.SnapshotIsOk(Target(ctx)!, "remove it");
        yield return Rules.IsRegular(Target(ctx)!, "remove it");
    }

    protected override async Task<object?> ExecuteCoreAsync(CommandContext<RemoveSnapshotRequest> ctx, CancellationToken ct)
    {
        var vm = ctx.Vm;
        var target = Target(ctx)!;
        target.Status = SnapshotStatus.Locked;
        await ctx.Db.SaveChangesAsync(ct);
        S.Notifier.Publish(new SnapshotChanged(vm.Id, target.Id, "Locked"));
        var hadMemory = target.HasMemory;
        var released = await SnapshotChain.RemoveAsync(S, ctx.Db, vm, [target], ct);
        ctx.AuditMessage = $"Snapshot '{target.Description}' deletion for VM {vm.Name} has been completed" +
                           (!hadMemory ? "." : released > 0 ? "; its memory volume was removed." : "; its memory volume is still used by another snapshot.");
        return released;
    }

    protected override async Task CompensateAsync(CommandContext<RemoveSnapshotRequest> ctx, Exception error)
    {
        ctx.Db.ChangeTracker.Clear();
        var row = await ctx.Db.Snapshots.FindAsync(ctx.Request.SnapshotId);
        if (row is { Status: SnapshotStatus.Locked })
        {
            row.Status = SnapshotStatus.Ok;
            await ctx.Db.SaveChangesAsync();
            S.Notifier.Publish(new SnapshotChanged(ctx.Vm.Id, row.Id, "Ok"));
        }
    }
}
