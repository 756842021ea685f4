using Portal.Core.Commands;

namespace Portal.Core.Vms;

public sealed record ProcessDownVmRequest(Guid VmId) : IVmRequest;

/// <summary>
/// Runs when a VM went down outside the portal (guest shutdown, another libvirt client): a stateless VM gets its
/// Stateless snapshot back, as oVirt's ProcessDownVmCommand does. Waits for the VM's lock instead of refusing.
/// </summary>
public sealed class ProcessDownVmCommand(CommandServices s) : VmCommand<ProcessDownVmRequest>(s)
{
    public override string Operation => "Process VM down";

    protected override async Task<(IDisposable? Lock, string? HeldBy)> AcquireLockAsync(Guid vmId, CancellationToken ct) =>
        (await S.Locks.AcquireAsync(vmId, Operation, ct), null);

    protected override IEnumerable<Refusal?> Validate(CommandContext<ProcessDownVmRequest> ctx)
    {
        yield return ctx.Status == VmStatus.Down ? null : new Refusal("The VM is not down.");
        yield return ctx.Vm.Snapshots.Any(x => x.Type == Snapshots.SnapshotType.Stateless) ? null : new Refusal("Nothing to restore.");
    }

    protected override async Task<object?> ExecuteCoreAsync(CommandContext<ProcessDownVmRequest> ctx, CancellationToken ct)
    {
        await StatelessSnapshots.RestoreAsync(S, ctx.Db, ctx.Vm, ct);
        ctx.AuditMessage = $"VM {ctx.Vm.Name} is down; its stateless snapshot was restored.";
        return null;
    }

    protected override Task CompensateAsync(CommandContext<ProcessDownVmRequest> ctx, Exception error) => Task.CompletedTask;
}
