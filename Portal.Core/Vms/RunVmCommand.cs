using Microsoft.EntityFrameworkCore;
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
/// <remarks>
/// Journal steps: <c>stateless-recorded</c> and <c>defining</c> (a stateless VM's run overlays), <c>restoring</c> or
/// <c>starting</c> (journaled before the host call), then the commit that clears the memory. A portal interrupted
/// after the VM came up finishes the run: the memory is cleared, so it is never restored twice over newer disks.
/// </remarks>
public sealed partial class RunVmCommand(CommandServices s, ILogger<RunVmCommand> log) : VmCommand<RunVmRequest>(s)
{
    public override string Operation => Audit.AuditOperations.RunVm;
    protected override bool RequiresAdmin => false;

    private sealed record Journal(Guid ActiveId, Guid? MemoryVolumeId);

    protected override Refusal? StateRefusal(VmFacts vm) =>
        Rules.VmCanStart(vm.Status) ?? Rules.NoSnapshotLocked(vm) ?? Rules.ExistsOnHost(vm)
        ?? (vm.ActiveMemoryMissing && vm.Status != VmStatus.Suspended
            ? new Refusal("The memory this VM would be restored from is missing on the host. Remove the snapshot it came from, or preview the snapshot again without memory.")
            : null);

    protected override async Task<object?> ExecuteCoreAsync(VmRun<RunVmRequest> run, CancellationToken ct)
    {
        var vm = run.Vm;
        var active = run.Active;
        var memory = run.Status != VmStatus.Suspended ? active.MemoryVolume : null;
        run.Remember(new Journal(active.Id, memory?.Id));
        if (vm.IsStateless) await PrepareStatelessRunAsync(run, ct);

        // Journaled before the host call: a portal that dies while the VM starts leaves a row that says to look at the
        // host, and to finish (clear the memory) if the VM runs.
        run.OnUndo(new DestroyDomainStep(vm.Id));
        if (memory is not null)
        {
            await run.SaveAsync("restoring", ct);
            await S.Monitor.SetStatusAsync(vm.Id, VmStatus.RestoringState, "restoring memory", ct);
            await S.Hypervisor.RestoreFromMemoryAsync(vm.Id, new MemoryRestoreRequest(memory.DumpPath, active.ConfigurationXml), ct);
            await S.Hypervisor.ResumeAsync(vm.Id, ct);
            // The guest runs from its memory now, and the memory is not cleared yet: the window the journal must cover.
            S.Crash.At(Operation, "resumed");
            await S.Monitor.SetStatusAsync(vm.Id, VmStatus.Up, "memory restored", ct);

            // First run only: the memory leaves the Active snapshot, and the volume goes if nothing else holds it.
            ClearMemory(active);
            run.Commit(new ReleaseMemoryStep([memory.Id]));
            run.NotifyAfterSave(new SnapshotChanged(vm.Id, active.Id, "MemoryCleared"));
            await run.SaveAsync("memory-cleared", ct);
            LogRestored(log, vm.Id);
            run.AuditMessage = $"VM {vm.Name} was restored from memory and is Up.";
        }
        else
        {
            await run.SaveAsync("starting", ct);
            await S.Monitor.SetStatusAsync(vm.Id, VmStatus.PoweringUp, "booting", ct);
            await S.Hypervisor.StartAsync(vm.Id, ct);
            await S.Monitor.SetStatusAsync(vm.Id, VmStatus.Up, "booted", ct);
            run.Commit();
            run.AuditMessage = $"VM {vm.Name} started" + (vm.IsStateless ? " (stateless)." : ".");
        }
        return null;
    }

    /// <summary>A stateless run: the Stateless snapshot (sharing the Active's memory), and throw-away overlays to run on.</summary>
    private async Task PrepareStatelessRunAsync(VmRun<RunVmRequest> run, CancellationToken ct)
    {
        var vm = run.Vm;
        var active = run.Active;
        var stateless = StatelessSnapshots.Take(S, vm, active);
        // Only image files run on throw-away overlays: what this run writes to another disk stays.
        if (DomainXml.UnsnapshottableDisks(DomainXml.Parse(active.ConfigurationXml)) is { Count: > 0 } kept)
            run.Warnings.Add($"Disk {string.Join(", ", kept)} keeps what this run writes: a stateless run writes to throw-away copies of image files only.");
        run.OnUndo(new DiscardSnapshotRowStep(vm.Id, stateless.Id, stateless.ParentId));
        await run.WillAsync("stateless-recorded", new DiscardPreparedOverlaysStep(vm.Id, active.ConfigurationXml, stateless.Id.ToString()), ct);
        // This run writes to throw-away overlays; stopping brings back the Stateless snapshot's configuration.
        var runConfig = await S.Hypervisor.WithFreshOverlaysAsync(active.ConfigurationXml, stateless.Id.ToString(), ct);
        if (runConfig == active.ConfigurationXml) return;
        var current = await S.Hypervisor.GetDomainXmlAsync(vm.Id, inactive: true, ct);
        run.OnUndo(new SetActiveConfigurationStep(vm.Id, active.ConfigurationXml));
        await run.WillAsync("defining", new RedefineDomainStep(vm.Id, current), ct);
        await S.Hypervisor.DefineDomainAsync(runConfig, ct);
        active.ConfigurationXml = runConfig;
    }

    private static void ClearMemory(Snapshot active)
    {
        active.MemoryVolumeId = null;
        active.MemoryVolume = null;
    }

    /// <summary>Interrupted while the VM started: it runs, so the run happened.</summary>
    protected override async Task<bool> HostFinishedAsync(OperationRecord record, CancellationToken ct)
    {
        if (record.Step is not ("restoring" or "starting") || record.VmId is not { } vmId) return false;
        await S.Hypervisor.WaitForJobAsync(vmId, ct);
        return await S.Hypervisor.FindDomainAsync(vmId, ct) is { State: not (DomainRunState.ShutOff or DomainRunState.Crashed or DomainRunState.NoState) };
    }

    /// <summary>The VM came up from its memory before the portal stopped: clear the memory now, and resume a restore left paused.</summary>
    protected override async Task<IReadOnlyList<CompensationStep>> CompleteAsync(OperationRecord record, CancellationToken ct)
    {
        var vmId = record.VmId!.Value;
        var j = JournalJson.ReadValue<Journal>(record.StateJson);
        if (await S.Hypervisor.FindDomainAsync(vmId, ct) is { State: DomainRunState.Paused }) await S.Hypervisor.ResumeAsync(vmId, ct);
        IReadOnlyList<CompensationStep> then = [];
        if (j?.MemoryVolumeId is { } memory)
        {
            await using var db = await S.Db.CreateDbContextAsync(ct);
            await db.Snapshots.Where(x => x.VmId == vmId && x.Type == SnapshotType.Active && x.MemoryVolumeId == memory)
                .ExecuteUpdateAsync(u => u.SetProperty(x => x.MemoryVolumeId, (Guid?)null), ct);
            S.Notifier.Publish(new SnapshotChanged(vmId, j.ActiveId, "MemoryCleared"));
            then = [new ReleaseMemoryStep([memory])];
        }
        await S.Monitor.RefreshFromHostAsync(vmId, "run completed after a restart", ct);
        return then;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "VM {VmId} restored from memory")]
    private static partial void LogRestored(ILogger log, Guid vmId);
}

/// <summary>Gives the VM's Active snapshot back the configuration it had.</summary>
public sealed record SetActiveConfigurationStep(Guid VmId, string ConfigurationXml) : CompensationStep
{
    public override string Describe() => $"give VM {VmId} back its configuration";

    public override Task RunAsync(StepContext c, CancellationToken ct) =>
        c.Db.Snapshots.Where(x => x.VmId == VmId && x.Type == SnapshotType.Active)
            .ExecuteUpdateAsync(u => u.SetProperty(x => x.ConfigurationXml, ConfigurationXml), ct);
}
