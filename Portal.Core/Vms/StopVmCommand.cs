using Portal.Core.Commands;
using Portal.Core.Hypervisor;

namespace Portal.Core.Vms;

/// <param name="Graceful">Ask the guest to shut down (ACPI) instead of powering it off.</param>
public sealed record StopVmRequest(Guid VmId, bool Graceful = false) : IVmRequest;

/// <summary>Stops a VM; a stateless VM's Stateless snapshot is restored, so its memory comes back on the next run.</summary>
public sealed class StopVmCommand(CommandServices s) : VmCommand<StopVmRequest>(s)
{
    public override string Operation => "Stop VM";
    protected override bool RequiresAdmin => false;

    protected override IEnumerable<Refusal?> Validate(CommandContext<StopVmRequest> ctx)
    {
        yield return ctx.Status is VmStatus.Up or VmStatus.Paused or VmStatus.PoweringUp or VmStatus.PoweringDown or VmStatus.NotResponding
            ? null : new Refusal($"The VM is {Rules.Describe(ctx.Status)}; only a running VM can be stopped.");
    }

    protected override async Task<object?> ExecuteCoreAsync(CommandContext<StopVmRequest> ctx, CancellationToken ct)
    {
        var vm = ctx.Vm;
        await S.Monitor.SetStatusAsync(vm.Id, VmStatus.PoweringDown, ctx.Request.Graceful ? "shutdown requested" : "power off requested", ct);
        if (ctx.Request.Graceful)
        {
            await S.Hypervisor.ShutdownAsync(vm.Id, ct);
            // A guest may take its time; the lifecycle event brings the VM Down and the stateless processor runs then.
            // But a guest that is already off sent that event while this operation held the VM, and the monitor left
            // it to us: finish here, or the VM would stay Powering down.
            if (await S.Hypervisor.FindDomainAsync(vm.Id, ct) is { State: not DomainRunState.ShutOff })
            {
                ctx.AuditMessage = $"Shutdown of VM {vm.Name} was requested.";
                return null;
            }
        }
        else await S.Hypervisor.DestroyAsync(vm.Id, ct);
        await S.Monitor.SetStatusAsync(vm.Id, VmStatus.Down, ctx.Request.Graceful ? "shut down" : "powered off", ct);
        var restored = await StatelessSnapshots.RestoreAsync(S, ctx.Db, vm, ct);
        ctx.AuditMessage = $"VM {vm.Name} {(ctx.Request.Graceful ? "shut down" : "powered off")}" + (restored ? "; its stateless snapshot was restored." : ".");
        return null;
    }

    protected override Task CompensateAsync(CommandContext<StopVmRequest> ctx, Exception error) =>
        S.Monitor.RefreshFromHostAsync(ctx.Vm.Id, "stop failed", CancellationToken.None);
}
