using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Portal.Core.Audit;
using Portal.Core.Commands;
using Portal.Core.Hypervisor;
using Portal.Core.Storage;
using Portal.Core.Vms;

namespace Portal.Core.Snapshots;

/// <param name="SaveMemory">Save the guest's memory too. Ignored (with a warning) unless the VM runs in a 3.3+ cluster.</param>
/// <param name="StorageDomainId">Where the memory goes; null picks the first data domain with room.</param>
public sealed record CreateSnapshotRequest(Guid VmId, string Description, bool SaveMemory = true, Guid? StorageDomainId = null) : IVmRequest;

/// <summary>
/// Takes a snapshot, live or not, with or without memory (oVirt's CreateAllSnapshotsFromVmCommand). Returns the
/// new snapshot's id; the row is Locked while the hypervisor works and Ok when done.
/// </summary>
public sealed partial class CreateSnapshotCommand(CommandServices s, ILogger<CreateSnapshotCommand> log) : VmCommand<CreateSnapshotRequest>(s)
{
    public override string Operation => "Create snapshot";
    protected override bool RequiresAdmin => false;

    private sealed class Run
    {
        public Snapshot? Snapshot;
        public MemoryVolume? Memory;
        public StorageDomain? Domain;
        public bool HypervisorSnapshotTaken;
    }

    /// <summary>Whether memory will really be saved, with the reason when the request asked for it and it will not.</summary>
    public static (bool Save, string? Ignored) MemoryDecision(Vm vm, VmStatus status, bool requested)
    {
        if (!requested) return (false, null);
        if (vm.Cluster is { SupportsMemorySnapshots: false } c)
            return (false, $"Memory was not saved: cluster {c.Name} is at compatibility {c.CompatibilityVersion}, and memory snapshots need {Clusters.Cluster.MemorySnapshotVersion} or later.");
        if (status is not (VmStatus.Up or VmStatus.Paused))
            return (false, "Memory was not saved: the VM is not running.");
        return (true, null);
    }

    protected override IEnumerable<Refusal?> Validate(CommandContext<CreateSnapshotRequest> ctx)
    {
        yield return Rules.Description(ctx.Request.Description);
        yield return Rules.NotLocked(ctx.Status);
        yield return ctx.Status is VmStatus.Down or VmStatus.Up or VmStatus.Paused
            ? null : new Refusal($"Cannot create a snapshot while the VM is {Rules.Describe(ctx.Status)}.");
        yield return Rules.NoSnapshotLocked(ctx.Vm);
        yield return Rules.NotInPreview(ctx.Vm);
        yield return Rules.NotRunningStateless(ctx.Vm);
        var (save, _) = MemoryDecision(ctx.Vm, ctx.Status, ctx.Request.SaveMemory);
        if (save)
        {
            var devices = DomainXml.UnsavableDevices(DomainXml.Parse(ctx.Active.ConfigurationXml));
            yield return devices.Count == 0 ? null
                : new Refusal($"Memory cannot be saved for a VM with {string.Join(", ", devices)}. Take the snapshot without memory.");
        }
    }

    protected override async Task<Refusal?> ValidateOnHostAsync(CommandContext<CreateSnapshotRequest> ctx, CancellationToken ct)
    {
        if (!MemoryDecision(ctx.Vm, ctx.Status, ctx.Request.SaveMemory).Save) return null;
        var (domain, refusal) = await S.Memory.ChooseDomainAsync(ctx.Db, ctx.Vm, ctx.Request.StorageDomainId, ct);
        ctx.StateAs<Run>().Domain = domain;
        return refusal is null ? null : new Refusal(refusal);
    }

    protected override async Task<object?> ExecuteCoreAsync(CommandContext<CreateSnapshotRequest> ctx, CancellationToken ct)
    {
        var vm = ctx.Vm;
        var run = ctx.StateAs<Run>();
        var (save, ignored) = MemoryDecision(vm, ctx.Status, ctx.Request.SaveMemory);
        if (ignored is not null && ctx.Request.SaveMemory) ctx.Warnings.Add(ignored);
        var live = ctx.Status is VmStatus.Up or VmStatus.Paused;

        var config = await S.Hypervisor.GetDomainXmlAsync(vm.Id, inactive: true, ct);
        run.Snapshot = new Snapshot
        {
            VmId = vm.Id, Description = ctx.Request.Description.Trim(), CreatedAt = S.Now, Type = SnapshotType.Regular,
            Status = SnapshotStatus.Locked, ConfigurationXml = config, ParentId = ctx.Active.ParentId,
        };
        run.Snapshot.HypervisorName = run.Snapshot.Id.ToString();
        vm.Snapshots.Add(run.Snapshot);
        await ctx.Db.SaveChangesAsync(ct);
        S.Notifier.Publish(new SnapshotChanged(vm.Id, run.Snapshot.Id, "Locked"));
        ctx.MarkStarted(run.Snapshot.Id);
        await S.Audit.WriteAsync(ctx.Actor.UserName, vm.Id, vm.Name, Operation, AuditOutcome.Success,
            $"Snapshot '{run.Snapshot.Description}' creation for VM {vm.Name} was initiated by {ctx.Actor.UserName}.");

        if (save)
        {
            await S.Monitor.SetStatusAsync(vm.Id, VmStatus.SavingState, "saving memory for a snapshot", ct);
            run.Memory = await S.Memory.CreateAsync(run.Domain!, MemoryVolumeStore.EstimateBytes(vm), ct);
            // Recorded before the dump, held by the Locked snapshot: if the host or the portal dies half-way, the
            // database still knows the volume, and once no snapshot holds it the orphan collector removes it.
            ctx.Db.MemoryVolumes.Add(run.Memory);
            run.Snapshot.MemoryVolumeId = run.Memory.Id;
            await ctx.Db.SaveChangesAsync(ct);
            // The VM may have gone down since validation (rule 5): keep the snapshot, without memory.
            var now = await S.Hypervisor.FindDomainAsync(vm.Id, ct);
            if (now is null || VmMonitor.FromRunState(now.State) is not (VmStatus.Up or VmStatus.Paused))
            {
                await S.Memory.DeleteVolumesAsync(run.Memory, run.Domain!.PoolName);
                run.Snapshot.MemoryVolumeId = null;
                ctx.Db.MemoryVolumes.Remove(run.Memory);
                await ctx.Db.SaveChangesAsync(ct);
                run.Memory = null;
                save = false;
                // live stays true: the status is SavingState now and must be refreshed from the host at the end.
                ctx.Warnings.Add($"Failed to save memory as part of Snapshot '{run.Snapshot.Description}' for VM {vm.Name}: the VM went down.");
                await S.Audit.WriteAsync(ctx.Actor.UserName, vm.Id, vm.Name, Operation, AuditOutcome.Failure, ctx.Warnings[^1]);
            }
        }

        var progress = new Progress<double>(f => S.Notifier.Publish(new OperationProgress(vm.Id, Operation, f, false)));
        await S.Hypervisor.CreateSnapshotAsync(vm.Id, new SnapshotRequest(run.Snapshot.HypervisorName, run.Snapshot.Description, run.Memory?.DumpPath, progress, config), ct);
        run.HypervisorSnapshotTaken = true;
        run.Snapshot.HypervisorXml = await S.Hypervisor.GetSnapshotXmlAsync(vm.Id, run.Snapshot.HypervisorName, ct);

        run.Snapshot.Status = SnapshotStatus.Ok;
        ctx.Active.ParentId = run.Snapshot.Id;
        // On a real host the VM now writes to new overlays; the Active snapshot follows its configuration.
        ctx.Active.ConfigurationXml = await S.Hypervisor.GetDomainXmlAsync(vm.Id, inactive: true, ct);
        await ctx.Db.SaveChangesAsync(ct);
        if (live || save) await S.Monitor.RefreshFromHostAsync(vm.Id, "snapshot taken", ct);
        S.Notifier.Publish(new SnapshotChanged(vm.Id, run.Snapshot.Id, "Ok"));
        LogCreated(log, run.Snapshot.Id, vm.Id, run.Memory is not null);
        ctx.AuditMessage = $"Snapshot '{run.Snapshot.Description}' creation for VM {vm.Name} has been completed" +
                           (run.Memory is null ? "." : $", with memory ({run.Memory.SizeBytes >> 20} MiB on {run.Domain!.Name}).");
        return run.Snapshot.Id;
    }

    protected override async Task CompensateAsync(CommandContext<CreateSnapshotRequest> ctx, Exception error)
    {
        var run = ctx.StateAs<Run>();
        var vmId = ctx.Vm.Id;
        // Roll back (rule 6): the previous Active stays as it was, created volumes go, the lock is freed by the
        // template. Every step is tried even when an earlier one fails: the host may have died with the dump
        // (libvirtd killed), and the database must still end whole.
        var failures = new List<string>();
        async Task Try(Func<Task> step)
        {
            try { await step(); }
            catch (HypervisorException ex) { failures.Add(ex.LibvirtMessage); }
        }

        if (run.HypervisorSnapshotTaken && run.Snapshot?.HypervisorName is { } name)
            await Try(() => S.Hypervisor.DeleteSnapshotAsync(vmId, name, CancellationToken.None));
        var volumeGone = run.Memory is null || run.Domain is null;
        if (!volumeGone)
            await Try(async () => { await S.Memory.DeleteVolumesAsync(run.Memory!, run.Domain!.PoolName); volumeGone = true; });
        if (run.Snapshot is not null)
        {
            ctx.Db.ChangeTracker.Clear();
            var row = await ctx.Db.Snapshots.FindAsync(run.Snapshot.Id);
            if (row is not null) ctx.Db.Snapshots.Remove(row);
            // The Active may already point at the new snapshot: give it back the parent it had.
            if (await ctx.Db.Snapshots.FirstOrDefaultAsync(x => x.VmId == vmId && x.ParentId == run.Snapshot.Id) is { } child)
                child.ParentId = run.Snapshot.ParentId;
            // A volume the host would not delete stays recorded, held by no snapshot: the orphan collector
            // removes it once the host answers again, so the half-written dump is never forgotten.
            if (volumeGone && run.Memory is not null && await ctx.Db.MemoryVolumes.FindAsync(run.Memory.Id) is { } mv) ctx.Db.MemoryVolumes.Remove(mv);
            await ctx.Db.SaveChangesAsync();
            S.Notifier.Publish(new SnapshotChanged(vmId, run.Snapshot.Id, "Removed"));
        }
        await Try(() => ResumeIfTheDumpLeftItPausedAsync(ctx));
        try { await S.Monitor.RefreshFromHostAsync(vmId, "snapshot failed", CancellationToken.None); }
        catch (HypervisorException ex)
        {
            failures.Add(ex.LibvirtMessage);
            await S.Monitor.SetStatusAsync(vmId, VmStatus.NotResponding, "the host did not answer after a failed snapshot", CancellationToken.None);
        }
        if (failures.Count > 0)
            throw new HypervisorException("Rolling back", string.Join("; ", failures.Distinct()) +
                (volumeGone ? "" : $". The memory volume {run.Memory!.Id} is removed from {run.Domain!.Name} as soon as the host answers again."));
    }

    /// <summary>
    /// libvirt pauses a running guest for the dump and resumes it when the snapshot ends, unless the daemon died on
    /// the way: then the guest would stay paused although nobody asked for that.
    /// </summary>
    private async Task ResumeIfTheDumpLeftItPausedAsync(CommandContext<CreateSnapshotRequest> ctx)
    {
        if (ctx.Status != VmStatus.Up || ctx.StateAs<Run>().Memory is null) return;
        if (await S.Hypervisor.FindDomainAsync(ctx.Vm.Id, CancellationToken.None) is { State: DomainRunState.Paused })
            await S.Hypervisor.ResumeAsync(ctx.Vm.Id, CancellationToken.None);
    }

    protected override string FailureMessage(CommandContext<CreateSnapshotRequest> ctx, string reason) =>
        $"Failed to complete snapshot '{ctx.Request.Description}' creation for VM {ctx.Vm.Name}: {reason}";

    [LoggerMessage(Level = LogLevel.Information, Message = "Snapshot {SnapshotId} of VM {VmId} created with memory {HasMemory}")]
    private static partial void LogCreated(ILogger log, Guid snapshotId, Guid vmId, bool hasMemory);
}
