using Portal.Core.Commands;

namespace Portal.Core.Vms;

public sealed record RemoveVmRequest(Guid VmId) : IVmRequest;

/// <summary>
/// Removes a VM: its definition on the host, its snapshots, and the memory volumes nothing else references. A VM
/// whose domain the host no longer has is only forgotten.
/// </summary>
public sealed class RemoveVmCommand(CommandServices s) : VmCommand<RemoveVmRequest>(s)
{
    public override string Operation => Audit.AuditOperations.RemoveVm;

    protected override Refusal? StateRefusal(VmFacts vm) =>
        (vm.IsMissingOnHost ? null : Rules.VmIsDown(vm.Status, "remove it")) ?? Rules.NoSnapshotLocked(vm);

    protected override async Task<object?> ExecuteCoreAsync(VmRun<RemoveVmRequest> run, CancellationToken ct)
    {
        var vm = run.Vm;
        var memory = vm.Snapshots.Where(x => x.MemoryVolumeId is not null).Select(x => x.MemoryVolumeId!.Value).Distinct().ToList();
        if (await S.Hypervisor.FindDomainAsync(vm.Id, ct) is not null)
        {
            var current = await S.Hypervisor.GetDomainXmlAsync(vm.Id, inactive: true, ct);
            await run.WillAsync("undefining", new RedefineDomainStep(vm.Id, current), ct);
            await S.Hypervisor.UndefineDomainAsync(vm.Id, ct);
        }
        run.Db.Vms.Remove(vm);
        run.Commit(new ReleaseMemoryStep(memory));
        run.NotifyAfterSave(new VmInventoryChanged());
        await run.SaveAsync("removed", ct);
        S.Monitor.Forget(vm.Id);
        run.AuditMessage = $"VM {vm.Name} was removed, with {vm.Snapshots.Count} snapshot(s) and {memory.Count} memory volume(s) released.";
        return memory.Count;
    }
}
