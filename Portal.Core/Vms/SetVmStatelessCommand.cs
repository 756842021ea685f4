using Portal.Core.Commands;
using Portal.Core.Snapshots;

namespace Portal.Core.Vms;

public sealed record SetVmStatelessRequest(Guid VmId, bool Stateless) : IVmRequest;

/// <summary>
/// Marks a VM stateless or not. A stateless VM takes a Stateless snapshot at every run and restores it at stop, so
/// the memory its Active snapshot holds is restored on every run. Changed only while the VM is Down.
/// </summary>
public sealed class SetVmStatelessCommand(CommandServices s) : VmCommand<SetVmStatelessRequest>(s)
{
    public override string Operation => "Edit VM";

    protected override IEnumerable<Refusal?> Validate(CommandContext<SetVmStatelessRequest> ctx)
    {
        yield return Rules.VmIsDown(ctx.Status, "change whether it is stateless");
        yield return ctx.Vm.Snapshots.Any(x => x.Type == SnapshotType.Stateless)
            ? new Refusal("The VM still has the snapshot of its last stateless run; run and stop it once first.") : null;
    }

    protected override async Task<object?> ExecuteCoreAsync(CommandContext<SetVmStatelessRequest> ctx, CancellationToken ct)
    {
        ctx.Vm.IsStateless = ctx.Request.Stateless;
        await ctx.Db.SaveChangesAsync(ct);
        S.Notifier.Publish(new VmInventoryChanged());
        ctx.AuditMessage = $"VM {ctx.Vm.Name} is now {(ctx.Request.Stateless ? "stateless" : "not stateless")}.";
        return null;
    }

    protected override Task CompensateAsync(CommandContext<SetVmStatelessRequest> ctx, Exception error) => Task.CompletedTask;
}
