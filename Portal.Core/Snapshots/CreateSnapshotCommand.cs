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
/// Journal steps: <c>snapshot-recorded</c> (the Locked row), <c>memory-planned</c> and <c>memory-created</c> (the
/// memory volume, journaled before the host makes it), <c>dumping</c> (the libvirt snapshot is being taken), then the
/// commit. Interrupted before the commit, the snapshot is kept when the host has it (libvirtd finishes a dump whose
/// client died) and undone otherwise.
/// </remarks>
public sealed partial class CreateSnapshotCommand(CommandServices s, ILogger<CreateSnapshotCommand> log)
    : VmCommand<CreateSnapshotRequest, CreateSnapshotCommand.Run>(s)
{
    public override string Operation => "Create snapshot";
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
        if (MemoryDecision(run.Vm, run.Status, run.Request.SaveMemory).Save)
        {
            var devices = DomainXml.UnsavableDevices(DomainXml.Parse(run.Active.ConfigurationXml));
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

        var config = await S.Hypervisor.GetDomainXmlAsync(vm.Id, inactive: true, ct);
        var snapshot = run.Snapshot = new Snapshot
        {
            VmId = vm.Id, Description = run.Request.Description.Trim(), CreatedAt = S.Now, Type = SnapshotType.Regular,
            Status = SnapshotStatus.Locked, ConfigurationXml = config, ParentId = active.ParentId,
        };
        snapshot.HypervisorName = snapshot.Id.ToString();
        vm.Snapshots.Add(snapshot);
        run.Remember(new Journal(snapshot.Id, snapshot.HypervisorName, live));
        run.OnUndo(new DiscardSnapshotRowStep(vm.Id, snapshot.Id, active.ParentId));
        // The memory volume is planned, and journaled with how to delete it, in the same transaction as the row: a crash
        // never leaves a volume the database does not know.
        var planned = save ? MemoryVolumeStore.Plan(run.Domain!, MemoryVolumeStore.EstimateBytes(vm), S.Now) : null;
        if (planned is not null) run.OnUndo(new DiscardMemoryVolumeStep(planned.Id, run.Domain!.PoolName, planned.DumpVolumeName, planned.ConfVolumeName));
        await run.SaveAsync("snapshot-recorded", ct);
        S.Notifier.Publish(new SnapshotChanged(vm.Id, snapshot.Id, "Locked"));
        run.MarkStarted(snapshot.Id);
        // The host starts on the volumes first; the audit entry and the SavingState status are written meanwhile.
        var volume = planned is not null ? CreateVolumesAsync(run.Domain!, planned, ct) : null;
        var initiated = S.Audit.WriteAsync(run.Actor.UserName, vm.Id, vm.Name, Operation, AuditOutcome.Success,
            $"Snapshot '{snapshot.Description}' creation for VM {vm.Name} was initiated by {run.Actor.UserName}.");

        if (volume is not null) save = await CreateDumpVolumeAsync(run, planned!, volume, ct);

        var progress = new Progress<double>(f => S.Notifier.Publish(new OperationProgress(vm.Id, Operation, f, false)));
        // Journaled before the call: a portal that dies while libvirt dumps leaves a row that says which snapshot to
        // look for, and that a guest the dump paused must be resumed if the snapshot did not complete.
        run.OnUndo(new DeleteHypervisorSnapshotStep(vm.Id, snapshot.HypervisorName));
        // A guest its user had paused stays paused; one the dump paused is resumed if the snapshot does not complete.
        if (run.Memory is not null && run.Status == VmStatus.Up) run.OnUndo(new ResumeIfPausedStep(vm.Id));
        await run.SaveAsync("dumping", ct);
        await initiated;
        var beforeDump = Stopwatch.GetElapsedTime(run.StartedAt);
        var taken = await S.Hypervisor.CreateSnapshotAsync(vm.Id, new SnapshotRequest(snapshot.HypervisorName, snapshot.Description, run.Memory?.DumpPath, progress, config), ct);

        var dumped = Stopwatch.GetElapsedTime(run.StartedAt);
        if (run.Memory is { } dump && taken.MemorySaved) S.Metrics.MemoryDumped(dump.SizeBytes, dumped - beforeDump, run.Domain!.Kind.ToString());
        Complete(vm, snapshot, taken.SnapshotXml, taken.InactiveXml);
        // The guest stopped between the last check and libvirt's call: the host took the disks only (rule 5).
        if (run.Memory is { } unwritten && !taken.MemorySaved) await DropMemoryAsync(run, unwritten, ct);
        else if (run.Memory is { ConfPath: "" } mv) await CreateConfVolumeAsync(run, mv, ct);
        run.NotifyAfterSave(new SnapshotChanged(vm.Id, snapshot.Id, "Ok"));
        run.Commit();
        if (live || save) await S.Monitor.SetStatusAsync(vm.Id, VmMonitor.FromRunState(taken.State), "snapshot taken", ct);
        LogCreated(log, snapshot.Id, vm.Id, run.Memory is not null, prepared.TotalMilliseconds, (beforeDump - prepared).TotalMilliseconds,
            (dumped - beforeDump).TotalMilliseconds, (Stopwatch.GetElapsedTime(run.StartedAt) - dumped).TotalMilliseconds);
        run.AuditMessage = $"Snapshot '{snapshot.Description}' creation for VM {vm.Name} has been completed" +
                           (run.Memory is null ? "." : $", with memory ({run.Memory.SizeBytes >> 20} MiB on {run.Domain!.Name}).");
        return snapshot.Id;
    }

    /// <summary>
    /// The dump's volume, and on a file domain the configuration's beside it, both under the names journaled with the
    /// plan, so whenever the portal dies, recovery knows what to look for or delete. The configuration's is not made
    /// while libvirt dumps: a volume made in the same pool meanwhile (libvirtd fsyncs a new volume) made the dump
    /// of the 128 MiB guest a median 17 ms longer (~290 ms, 8 alternated rounds). A block domain names its partitions
    /// itself (two asked for at once could be given the same one): there the configuration's is made after the dump.
    /// </summary>
    private async Task CreateVolumesAsync(StorageDomain domain, MemoryVolume planned, CancellationToken ct)
    {
        var dump = S.Memory.CreateDumpAsync(domain, planned, ct);
        // Both end, however either ends, before the undo deletes them by their planned names.
        if (domain.Kind == StorageKind.File) await Task.WhenAll(dump, S.Memory.CreateConfAsync(domain, planned, ct));
        else await dump;
    }

    /// <summary>
    /// Waits for the memory's volumes (the VM shows SavingState meanwhile), records it, then checks that the VM still runs.
    /// Returns false when it went down since validation (rule 5): the snapshot is then kept without memory.
    /// </summary>
    private async Task<bool> CreateDumpVolumeAsync(Run run, MemoryVolume planned, Task volume, CancellationToken ct)
    {
        var vm = run.Vm;
        var domain = run.Domain!;
        var saving = S.Monitor.SetStatusAsync(vm.Id, VmStatus.SavingState, "saving memory for a snapshot", ct);
        try { await volume; }
        finally { await saving; }
        var memory = run.Memory = planned;
        run.Db.MemoryVolumes.Add(memory);
        run.Snapshot!.MemoryVolumeId = memory.Id;
        // A pool that names its volumes itself (a disk pool) gave another name than planned: journal that one too.
        if (memory.DumpVolumeName != memory.DumpVolumeId.ToString())
            run.OnUndo(new DiscardMemoryVolumeStep(memory.Id, domain.PoolName, memory.DumpVolumeName, memory.ConfVolumeName));

        var now = await S.Hypervisor.FindDomainAsync(vm.Id, ct);
        if (now is not null && VmMonitor.FromRunState(now.State) is VmStatus.Up or VmStatus.Paused) return true;
        await DropMemoryAsync(run, memory, ct);
        return false;
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
        // The portal stopped after the dump, before it made the configuration volume.
        if (snapshot.MemoryVolumeId is { } id && await db.MemoryVolumes.Include(m => m.StorageDomain).FirstOrDefaultAsync(m => m.Id == id, ct) is { ConfPath: "" } mv)
        {
            if (await S.Hypervisor.FindVolumePathAsync(mv.StorageDomain!.PoolName, mv.ConfVolumeName, ct) is { } path) mv.ConfPath = path;
            else await S.Memory.CreateConfAsync(mv.StorageDomain, mv, ct);
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
