using Portal.Core.Commands;

namespace Portal.Core.Vms;

public sealed record SetVmStatelessRequest(Guid VmId, bool Stateless) : IVmRequest;

/// <summary>
/// Marks a VM stateless or not. A stateless VM takes a Stateless snapshot at every run and restores it at stop, so
/// the memory its Active snapshot holds is restored on every run. Changed only while the VM is Down.
/// </summary>
public sealed class SetVmStatelessCommand(CommandServices s) : VmCommand<SetVmStatelessRequest>(s)
{
    public override string Operation => Audit.AuditOperations.EditVm;

    protected override Refusal? StateRefusal(VmFacts vm) =>
        Rules.VmIsDown(vm.Status, "change whether it is stateless")
        ?? (vm.RunningStateless ? new Refusal("The VM still has the snapshot of its last stateless run; run and stop it once first.") : null);

    protected override Task<object?> ExecuteCoreAsync(VmRun<SetVmStatelessRequest> run, CancellationToken ct)
    {
        run.Vm.IsStateless = run.Request.Stateless;
        run.NotifyAfterSave(new VmInventoryChanged());
        run.AuditMessage = $"VM {run.Vm.Name} is now {(run.Request.Stateless ? "stateless" : "not stateless")}.";
        return Task.FromResult<object?>(null);
    }
}
