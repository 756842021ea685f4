using Portal.Core.Commands;

namespace Portal.Core.Vms;

public sealed record ProcessDownVmRequest(Guid VmId) : IVmRequest;

/// <summary>
/// Runs when a VM went down outside the portal (guest shutdown, another libvirt client): a stateless VM gets its
/// Stateless snapshot back, as oVirt's ProcessDownVmCommand does. Waits for the VM's lock instead of refusing.
/// </summary>
public sealed class ProcessDownVmCommand(CommandServices s) : VmCommand<ProcessDownVmRequest>(s)
{
    public override string Operation => Audit.AuditOperations.ProcessVmDown;

    protected override async Task<(IDisposable? Lock, string? HeldBy)> AcquireAsync(ProcessDownVmRequest request, CancellationToken ct) =>
        (await S.Locks.AcquireAsync(request.VmId, Operation, ct), null);

    protected override Refusal? StateRefusal(VmFacts vm) =>
        vm.Status != VmStatus.Down ? new Refusal("The VM is not down.")
        : !vm.RunningStateless ? new Refusal("Nothing to restore.") : null;

    protected override async Task<object?> ExecuteCoreAsync(VmRun<ProcessDownVmRequest> run, CancellationToken ct)
    {
        await StatelessSnapshots.RestoreAsync(S, run, ct);
        run.AuditMessage = $"VM {run.Vm.Name} is down; its stateless snapshot was restored.";
        return null;
    }
}
