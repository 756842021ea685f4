using Portal.Core.Commands;
using Portal.Core.Hypervisor;

namespace Portal.Core.Vms;

/// <param name="Graceful">Ask the guest to shut down (ACPI) instead of powering it off.</param>
public sealed record StopVmRequest(Guid VmId, bool Graceful = false) : IVmRequest;

/// <summary>Stops a VM; a stateless VM's Stateless snapshot is restored, so its memory comes back on the next run.</summary>
public sealed class StopVmCommand(CommandServices s) : VmCommand<StopVmRequest>(s)
{
    public override string Operation => Audit.AuditOperations.StopVm;
    protected override bool RequiresAdmin => false;

    protected override Refusal? StateRefusal(VmFacts vm) =>
        vm.Status is VmStatus.Up or VmStatus.Paused or VmStatus.PoweringUp or VmStatus.PoweringDown or VmStatus.NotResponding
            ? null : new Refusal($"The VM is {Rules.Describe(vm.Status)}; only a running VM can be stopped.");

    protected override async Task<object?> ExecuteCoreAsync(VmRun<StopVmRequest> run, CancellationToken ct)
    {
        var vm = run.Vm;
        var graceful = run.Request.Graceful;
        await S.Monitor.SetStatusAsync(vm.Id, VmStatus.PoweringDown, graceful ? "shutdown requested" : "power off requested", ct);
        if (graceful)
        {
            await S.Hypervisor.ShutdownAsync(vm.Id, ct);
            // A guest may take its time; the lifecycle event brings the VM Down and the stateless processor runs then.
            // But a guest that is already off sent that event while this operation held the VM, and the monitor left
            // it to us: finish here, or the VM would stay Powering down.
            if (await S.Hypervisor.FindDomainAsync(vm.Id, ct) is { State: not DomainRunState.ShutOff })
            {
                run.AuditMessage = $"Shutdown of VM {vm.Name} was requested.";
                return null;
            }
        }
        else await S.Hypervisor.DestroyAsync(vm.Id, ct);
        await S.Monitor.SetStatusAsync(vm.Id, VmStatus.Down, graceful ? "shut down" : "powered off", ct);
        var restored = await StatelessSnapshots.RestoreAsync(S, run, ct);
        run.AuditMessage = $"VM {vm.Name} {(graceful ? "shut down" : "powered off")}" + (restored ? "; its stateless snapshot was restored." : ".");
        return null;
    }
}
