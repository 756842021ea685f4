using System.Diagnostics;
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
/// <remarks>
/// Journal steps: <c>dumping</c> (the Locked row, the memory volume under the names the host is asked for, and how to
/// undo both: saved before the host makes the volumes and takes the snapshot), then the commit. On a block domain the
/// row is saved first as <c>snapshot-recorded</c>, and <c>dumping</c> follows once the pool has named the dump's volume.
/// Interrupted before the commit, the snapshot is kept when the host has it (libvirtd finishes a dump whose client died)
/// and undone otherwise.
/// </remarks>
public sealed partial class CreateSnapshotCommand(CommandServices s, ILogger<CreateSnapshotCommand> log)
    : VmCommand<CreateSnapshotRequest, CreateSnapshotCommand.Run>(s)
{
    public override string Operation => Audit.AuditOperations.CreateSnapshot;
    protected override bool RequiresAdmin => false;

    public sealed class Run : VmRun<CreateSnapshotRequest>
    {
        public Snapshot? Snapshot;
        public MemoryVolume? Memory;
        public StorageDomain? Domain;
    }

    /// <summary>What recovery needs: the snapshot, the name the host knows it by, and whether it was taken live.</summary>
    private sealed record Journal(Guid SnapshotId, string HypervisorName, bool Live);

    /// <summary>Whether memory will really be saved, with the reason when the request asked for it and it will not.</summary>
    public static (bool Save, string? Ignored) MemoryDecision(Vm vm, VmStatus status, bool requested) =>
        MemoryDecision(vm.Cluster is { } c ? (c.SupportsMemorySnapshots, c.Name, c.CompatibilityVersion) : (false, "?", "?"), status, requested);

    private static (bool Save, string? Ignored) MemoryDecision((bool Supports, string Name, string Version) cluster, VmStatus status, bool requested)
    {
        if (!requested) return (false, null);
        if (!cluster.Supports)
            return (false, $"Memory was not saved: cluster {cluster.Name} is at compatibility {cluster.Version}, and memory snapshots need {Clusters.Cluster.MemorySnapshotVersion} or later.");
        if (status is not (VmStatus.Up or VmStatus.Paused))
            return (false, "Memory was not saved: the VM is not running.");
        return (true, null);
    }

    /// <summary>Save Memory is offered only for a running VM in a cluster at 3.3 or later.</summary>
    public static bool OffersSaveMemory(VmFacts vm) => vm.ClusterSupportsMemory && vm.Status is VmStatus.Up or VmStatus.Paused;

    protected override Refusal? StateRefusal(VmFacts vm) =>
        Rules.NotLocked(vm.Status)
        ?? (vm.Status is VmStatus.Down or VmStatus.Up or VmStatus.Paused ? null : new Refusal($"Cannot create a snapshot while the VM is {Rules.Describe(vm.Status)}."))
        ?? Rules.NoSnapshotLocked(vm)
        ?? Rules.NotInPreview(vm)
        ?? Rules.NotRunningStateless(vm);

    protected override IEnumerable<Refusal?> Validate(Run run)
    {
        yield return Rules.Description(run.Request.Description);
        var configuration = DomainXml.Parse(run.Active.ConfigurationXml);
        var disks = DomainXml.UnsnapshottableDisks(configuration);
        yield return disks.Count == 0 ? null
            : new Refusal($"A snapshot cannot take in disk {string.Join(", ", disks)}: the portal snapshots disks that are image files. " +
                          "Mark the disk snapshot='no' in the VM's definition to leave it out, or make it an image file.");
        if (MemoryDecision(run.Vm, run.Status, run.Request.SaveMemory).Save)
        {
            var devices = DomainXml.UnsavableDevices(configuration);
            yield return devices.Count == 0 ? null
                : new Refusal($"Memory cannot be saved for a VM with {string.Join(", ", devices)}. Take the snapshot without memory.");
        }
    }

    protected override async Task<Refusal?> ValidateOnHostAsync(Run run, CancellationToken ct)
    {
        if (!MemoryDecision(run.Vm, run.Status, run.Request.SaveMemory).Save) return null;
        var (domain, refusal) = await S.Memory.ChooseDomainAsync(run.Db, run.Vm, run.Request.StorageDomainId, ct);
        run.Domain = domain;
        return refusal is null ? null : new Refusal(refusal);
    }

    protected override async Task<object?> ExecuteCoreAsync(Run run, CancellationToken ct)
    {
        var vm = run.Vm;
        var prepared = Stopwatch.GetElapsedTime(run.StartedAt);
        var (save, ignored) = MemoryDecision(vm, run.Status, run.Request.SaveMemory);
        if (ignored is not null && run.Request.SaveMemory) run.Warnings.Add(ignored);
        var live = run.Status is VmStatus.Up or VmStatus.Paused;
        var active = run.Active;

        // The configuration is the portal's copy until the host's, read beside the volumes, replaces it below.
        var snapshot = run.Snapshot = new Snapshot
        {
            VmId = vm.Id, Description = run.Request.Description.Trim(), CreatedAt = S.Now, Type = SnapshotType.Regular,
            Status = SnapshotStatus.Locked, ConfigurationXml = active.ConfigurationXml, ParentId = active.ParentId,
        };
        snapshot.HypervisorName = snapshot.Id.ToString();
        vm.Snapshots.Add(snapshot);
        run.Remember(new Journal(snapshot.Id, snapshot.HypervisorName, live));
        run.OnUndo(new DiscardSnapshotRowStep(vm.Id, snapshot.Id, active.ParentId));
        if (save)
        {
            // The memory volume is journaled with how to delete it, under the names the host is asked for, in the same
            // transaction as the row: a crash never leaves a volume the database does not know.
            var memory = run.Memory = MemoryVolumeStore.Plan(run.Domain!, MemoryVolumeStore.EstimateBytes(vm), S.Now);
            run.OnUndo(new DiscardMemoryVolumeStep(memory.Id, run.Domain!.PoolName, memory.DumpVolumeName, memory.ConfVolumeName));
            run.Db.MemoryVolumes.Add(memory);
            snapshot.MemoryVolumeId = memory.Id;
            if (S.Monitor.Stage(run.Db, vm, VmStatus.SavingState, "saving memory for a snapshot") is { } saving)
                run.AfterSave(() => S.Monitor.Applied(saving));
        }
        // A portal that dies while libvirt dumps leaves a row that says which snapshot to look for, and that a guest the
        // dump paused must be resumed if the snapshot did not complete. A guest its user had paused stays paused.
        run.OnUndo(new DeleteHypervisorSnapshotStep(vm.Id, snapshot.HypervisorName));
        if (save && run.Status == VmStatus.Up) run.OnUndo(new ResumeIfPausedStep(vm.Id));
        var initiated = S.Audit.Stage(run.Db, run.Actor.UserName, vm.Id, vm.Name, Operation, AuditOutcome.Success,
            $"Snapshot '{snapshot.Description}' creation for VM {vm.Name} was initiated by {run.Actor.UserName}.");
        run.AfterSave(() => S.Audit.Published(initiated));
        run.NotifyAfterSave(new SnapshotChanged(vm.Id, snapshot.Id, "Locked"));
        // One commit before libvirt's call (each costs the dump's wait a few milliseconds): the row, the plan, the status
        // and the audit entry together. A block domain's pool names its partitions itself: the names it gives are
        // journaled in a second commit before the dump.
        var namesKnown = run.Memory is null || run.Domain!.Kind == StorageKind.File;
        await run.SaveAsync(namesKnown ? "dumping" : "snapshot-recorded", ct);
        run.MarkStarted(snapshot.Id);

        var config = S.Hypervisor.GetDomainXmlAsync(vm.Id, inactive: true, ct);
        await Task.WhenAll(run.Memory is { } planned ? CreateVolumesAsync(run.Domain!, planned, ct) : Task.CompletedTask, config);
        snapshot.ConfigurationXml = config.Result;
        if (!namesKnown) await JournalBlockNamesAsync(run, ct);

        var progress = new Progress<double>(f => S.Notifier.Publish(new OperationProgress(vm.Id, Operation, f, false)));
        var beforeDump = Stopwatch.GetElapsedTime(run.StartedAt);
        var taken = await S.Hypervisor.CreateSnapshotAsync(vm.Id, new SnapshotRequest(snapshot.HypervisorName, snapshot.Description, run.Memory?.DumpPath, progress, config.Result), ct);

        var dumped = Stopwatch.GetElapsedTime(run.StartedAt);
        if (run.Memory is { } dump && taken.MemorySaved) S.Metrics.MemoryDumped(dump.SizeBytes, dumped - beforeDump, run.Domain!.Kind.ToString());
        Complete(vm, snapshot, taken.SnapshotXml, taken.InactiveXml);
        // The guest stopped after the checks, before libvirt's call: the host took the disks only (rule 5).
        if (run.Memory is { } unwritten && !taken.MemorySaved) await DropMemoryAsync(run, unwritten, ct);
        else if (run.Memory is { } mv)
        {
            if (mv.ConfPath == "") await CreateConfVolumeAsync(run, mv, ct);
            // Written whole with the commit: a memory-volume check that ran while the volumes were being made (a host
            // reconnecting) may have marked the row missing meanwhile.
            run.Db.Entry(mv).Property(m => m.IsMissingOnHost).IsModified = true;
        }
        run.NotifyAfterSave(new SnapshotChanged(vm.Id, snapshot.Id, "Ok"));
        // The status the host gives the VM now is written with the commit.
        if ((live || save) && S.Monitor.Stage(run.Db, vm, VmMonitor.FromRunState(taken.State), "snapshot taken") is { } after)
            run.AfterSave(() => S.Monitor.Applied(after));
        run.Commit();
        LogCreated(log, snapshot.Id, vm.Id, run.Memory is not null, prepared.TotalMilliseconds, (beforeDump - prepared).TotalMilliseconds,
            (dumped - beforeDump).TotalMilliseconds, (Stopwatch.GetElapsedTime(run.StartedAt) - dumped).TotalMilliseconds);
        run.AuditMessage = $"Snapshot '{snapshot.Description}' creation for VM {vm.Name} has been completed" +
                           (run.Memory is null ? "." : $", with memory ({run.Memory.SizeBytes >> 20} MiB on {run.Domain!.Name}).");
        return snapshot.Id;
    }

    /// <summary>
    /// The dump's volume, and on a file domain the configuration's after it, both under the names journaled with the
    /// plan, so whenever the portal dies, recovery knows what to look for or delete. The configuration's is not made
    /// while libvirt dumps: a volume made in the same pool meanwhile (libvirtd fsyncs a new volume) made the dump
    /// of the 128 MiB guest a median 17 ms longer (~290 ms, 8 alternated rounds). One after the other, not both at once:
    /// beside the configuration's read, on qemu:///system here, the two took 4.4 ms in a row and 5.1–6.6 ms at once
    /// (medians of 30). A block domain names its partitions itself: there the configuration's is made after the dump.
    /// </summary>
    private async Task CreateVolumesAsync(StorageDomain domain, MemoryVolume planned, CancellationToken ct)
    {
        await S.Memory.CreateDumpAsync(domain, planned, ct);
        if (domain.Kind == StorageKind.File) await S.Memory.CreateConfAsync(domain, planned, ct);
    }

    /// <summary>A block domain's pool gave its own name to the dump's volume: journaled (with its path) before the dump.</summary>
    private static async Task JournalBlockNamesAsync(Run run, CancellationToken ct)
    {
        var memory = run.Memory!;
        if (memory.DumpVolumeName != memory.DumpVolumeId.ToString())
            run.OnUndo(new DiscardMemoryVolumeStep(memory.Id, run.Domain!.PoolName, memory.DumpVolumeName, memory.ConfVolumeName));
        await run.SaveAsync("dumping", ct);
    }

    /// <summary>The VM went down before its memory was written: the snapshot goes on without it, its volumes are deleted, and the user is told.</summary>
    private async Task DropMemoryAsync(Run run, MemoryVolume memory, CancellationToken ct)
    {
        var vm = run.Vm;
        var pool = run.Domain!.PoolName;
        await S.Hypervisor.DeleteVolumeAsync(pool, memory.DumpVolumeName, CancellationToken.None);
        if (memory.ConfPath != "") await S.Hypervisor.DeleteVolumeAsync(pool, memory.ConfVolumeName, CancellationToken.None);
        run.Snapshot!.MemoryVolumeId = null;
        run.Db.MemoryVolumes.Remove(memory);
        run.Memory = null;
        await run.SaveAsync("memory-dropped", ct);
        run.Warnings.Add($"Failed to save memory as part of Snapshot '{run.Snapshot.Description}' for VM {vm.Name}: the VM went down.");
        await S.Audit.WriteAsync(run.Actor.UserName, vm.Id, vm.Name, Operation, AuditOutcome.Failure, run.Warnings[^1]);
    }

    private async Task CreateConfVolumeAsync(Run run, MemoryVolume mv, CancellationToken ct)
    {
        await S.Memory.CreateConfAsync(run.Domain!, mv, ct);
        if (mv.ConfVolumeName != mv.ConfVolumeId.ToString())
            run.OnUndo(new DeleteVolumeStep(run.Domain!.PoolName, mv.ConfVolumeName));
    }

    /// <summary>
    /// The host has the snapshot: the row becomes Ok, the Active sits on it and follows the VM's configuration (on a
    /// real host the VM now writes to new overlays).
    /// </summary>
    private static void Complete(Vm vm, Snapshot snapshot, string? snapshotXml, string inactiveXml)
    {
        snapshot.HypervisorXml = snapshotXml;
        snapshot.Status = SnapshotStatus.Ok;
        var active = vm.Snapshots.Single(x => x.Type == SnapshotType.Active);
        active.ParentId = snapshot.Id;
        active.ConfigurationXml = inactiveXml;
    }

    protected override async Task<bool> HostFinishedAsync(OperationRecord record, CancellationToken ct)
    {
        if (JournalJson.ReadValue<Journal>(record.StateJson) is not { } j || record.VmId is not { } vmId || record.Step != "dumping") return false;
        // libvirtd goes on with a dump whose client died: decide only once it has finished.
        await S.Hypervisor.WaitForJobAsync(vmId, ct);
        return (await S.Hypervisor.ListSnapshotNamesAsync(vmId, ct)).Contains(j.HypervisorName);
    }

    protected override async Task<IReadOnlyList<CompensationStep>> CompleteAsync(OperationRecord record, CancellationToken ct)
    {
        var j = JournalJson.ReadValue<Journal>(record.StateJson)!;
        await using var db = await S.Db.CreateDbContextAsync(ct);
        var vm = await db.Vms.Include(v => v.Snapshots).FirstAsync(v => v.Id == record.VmId, ct);
        var snapshot = vm.Snapshots.Single(x => x.Id == j.SnapshotId);
        var xml = S.Hypervisor.GetSnapshotXmlAsync(vm.Id, snapshot.HypervisorName!, ct);
        var config = S.Hypervisor.GetDomainXmlAsync(vm.Id, inactive: true, ct);
        Complete(vm, snapshot, await xml, await config);
        // The volumes' paths are saved with the commit: the portal stopped before it, during or after the dump. The
        // configuration's volume may not be made yet (a block domain makes it after the dump).
        if (snapshot.MemoryVolumeId is { } id && await db.MemoryVolumes.Include(m => m.StorageDomain).FirstOrDefaultAsync(m => m.Id == id, ct) is { } mv)
        {
            var pool = mv.StorageDomain!.PoolName;
            if (mv.DumpPath == "")
            {
                mv.DumpPath = await S.Hypervisor.FindVolumePathAsync(pool, mv.DumpVolumeName, ct) ?? "";
                mv.IsMissingOnHost = mv.DumpPath == "";
            }
            if (mv.ConfPath == "")
            {
                if (await S.Hypervisor.FindVolumePathAsync(pool, mv.ConfVolumeName, ct) is { } path) mv.ConfPath = path;
                else await S.Memory.CreateConfAsync(mv.StorageDomain, mv, ct);
            }
        }
        await db.SaveChangesAsync(ct);
        S.Notifier.Publish(new SnapshotChanged(vm.Id, snapshot.Id, "Ok"));
        await S.Monitor.RefreshFromHostAsync(vm.Id, "snapshot completed after a restart", ct);
        return [];
    }

    protected override string FailureMessage(Run run, string reason) =>
        $"Failed to complete snapshot '{run.Request.Description}' creation for VM {run.Vm.Name}: {reason}";

    [LoggerMessage(Level = LogLevel.Information, Message = "Snapshot {SnapshotId} of VM {VmId} created with memory {HasMemory}: " +
        "checks {CheckMs:0.0} ms, records and volumes {PrepareMs:0.0} ms, libvirt {DumpMs:0.0} ms, completion {FinishMs:0.0} ms")]
    private static partial void LogCreated(ILogger log, Guid snapshotId, Guid vmId, bool hasMemory, double checkMs, double prepareMs, double dumpMs, double finishMs);
}
