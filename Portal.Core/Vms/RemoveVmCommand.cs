using Portal.Core.Commands;

namespace Portal.Core.Vms;

public sealed record RemoveVmRequest(Guid VmId) : IVmRequest;

/// <summary>Removes a VM: its definition on the host, its snapshots, and the memory volumes nothing else references.</summary>
public sealed class RemoveVmCommand(CommandServices s) : VmCommand<RemoveVmRequest>(s)
{
    public override string Operation => "Remove VM";

    protected override IEnumerable<Refusal?> Validate(CommandContext<RemoveVmRequest> ctx)
    {
        yield return Rules.VmIsDown(ctx.Status, "remove it");
        yield return Rules.NoSnapshotLocked(ctx.Vm);
    }

    protected override async Task<object?> ExecuteCoreAsync(CommandContext<RemoveVmRequest> ctx, CancellationToken ct)
    {
        var vm = ctx.Vm;
        var memory = vm.Snapshots.Select(x => x.MemoryVolumeId).ToList();
        if (await S.Hypervisor.FindDomainAsync(vm.Id, ct) is not null) await S.Hypervisor.UndefineDomainAsync(vm.Id, ct);
        ctx.Db.Vms.Remove(vm);
        await ctx.Db.SaveChangesAsync(ct);
        var released = await S.Memory.ReleaseUnreferencedAsync(ctx.Db, memory, ct);
        S.Notifier.Publish(new VmInventoryChanged());
        ctx.AuditMessage = $"VM {vm.Name} was removed, with {vm.Snapshots.Count} snapshot(s) and {released} memory volume(s).";
        return released;
    }

    protected override Task CompensateAsync(CommandContext<RemoveVmRequest> ctx, Exception error) => Task.CompletedTask;
}
