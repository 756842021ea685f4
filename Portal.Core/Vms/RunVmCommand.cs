using Microsoft.Extensions.Logging;
using Portal.Core.Commands;
using Portal.Core.Hypervisor;
using Portal.Core.Snapshots;

namespace Portal.Core.Vms;

public sealed record RunVmRequest(Guid VmId) : IVmRequest;

/// <summary>
/// Runs a VM. When its Active snapshot holds memory the VM is restored from it (RestoringState → Up) and the
/// memory is then cleared from the Active snapshot, so it holds for the first run only; otherwise it boots
/// (PoweringUp → Up). A stateless VM first takes a Stateless snapshot sharing the memory reference.
/// </summary>
public sealed partial class RunVmCommand(CommandServices s, ILogger<RunVmCommand> log) : VmCommand<RunVmRequest>(s)
{
    public override string Operation => "Run VM";
    protected override bool RequiresAdmin => false;

    private sealed class Run
    {
        public Snapshot? Stateless;
    }

    protected override IEnumerable<Refusal?> Validate(CommandContext<RunVmRequest> ctx)
    {
        yield return Rules.VmCanStart(ctx.Status);
        yield return Rules.NoSnapshotLocked(ctx.Vm);
        yield return ctx.Vm.IsMissingOnHost ? new Refusal("The VM no longer exists on its host.") : null;
    }

    protected override async Task<object?> ExecuteCoreAsync(CommandContext<RunVmRequest> ctx, CancellationToken ct)
    {
        var vm = ctx.Vm;
        var active = ctx.Active;
        if (vm.IsStateless)
        {
            ctx.StateAs<Run>().Stateless = StatelessSnapshots.Take(S, vm, active);
            await ctx.Db.SaveChangesAsync(ct);
        }

        var memory = ctx.Status != VmStatus.Suspended ? active.MemoryVolume : null;
        if (memory is not null)
        {
            await S.Monitor.SetStatusAsync(vm.Id, VmStatus.RestoringState, "restoring memory", ct);
            await S.Hypervisor.RestoreFromMemoryAsync(vm.Id, new MemoryRestoreRequest(memory.DumpPath, active.ConfigurationXml), ct);
            await S.Hypervisor.ResumeAsync(vm.Id, ct);
            await S.Monitor.SetStatusAsync(vm.Id, VmStatus.Up, "memory restored", ct);

            // First run only: the memory leaves the Active snapshot, and the volume goes if nothing else holds it.
            active.MemoryVolumeId = null;
            active.MemoryVolume = null;
            await ctx.Db.SaveChangesAsync(ct);
            await S.Memory.ReleaseUnreferencedAsync(ctx.Db, [memory.Id], ct);
            S.Notifier.Publish(new SnapshotChanged(vm.Id, active.Id, "MemoryCleared"));
            LogRestored(log, vm.Id);
            ctx.AuditMessage = $"VM {vm.Name} was restored from memory and is Up.";
        }
        else
        {
            await S.Monitor.SetStatusAsync(vm.Id, VmStatus.PoweringUp, "booting", ct);
            await S.Hypervisor.StartAsync(vm.Id, ct);
            await S.Monitor.SetStatusAsync(vm.Id, VmStatus.Up, "booted", ct);
            ctx.AuditMessage = $"VM {vm.Name} started" + (vm.IsStateless ? " (stateless)." : ".");
        }
        return null;
    }

    protected override async Task CompensateAsync(CommandContext<RunVmRequest> ctx, Exception error)
    {
        // A half-started VM is stopped again, and a Stateless snapshot taken for this run goes.
        var info = await S.Hypervisor.FindDomainAsync(ctx.Vm.Id, CancellationToken.None);
        if (info is not null && info.State != DomainRunState.ShutOff)
            await S.Hypervisor.DestroyAsync(ctx.Vm.Id, CancellationToken.None);
        if (ctx.StateAs<Run>().Stateless is { } stateless)
        {
            ctx.Db.ChangeTracker.Clear();
            if (await ctx.Db.Snapshots.FindAsync(stateless.Id) is { } row)
            {
                ctx.Db.Snapshots.Remove(row);
                await ctx.Db.SaveChangesAsync();
            }
        }
        await S.Monitor.RefreshFromHostAsync(ctx.Vm.Id, "run failed", CancellationToken.None);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "VM {VmId} restored from memory")]
    private static partial void LogRestored(ILogger log, Guid vmId);
}
