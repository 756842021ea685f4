using Portal.Core.Snapshots;
using Portal.Core.Vms;

namespace Portal.Core.Commands;

/// <summary>
/// What the rules need to know about a VM to say whether an operation may run on it now. A command builds it from the
/// VM it loaded; a page builds it from the row it shows (<see cref="VmRow.Facts"/>). Both then ask the same command
/// (<see cref="VmCommand{TRequest,TRun}.WhyRefused(VmFacts)"/>), so a disabled button and a refusal give the same reason.
/// </summary>
/// <param name="LockedBy">The operation that holds the VM now, or null.</param>
/// <param name="HostProblem">Why the VM's host cannot be reached ("Host X is not connected: …"), or null.</param>
/// <param name="HasPreviewSnapshot">The "Active VM before the preview" snapshot exists (undo needs it).</param>
/// <param name="RunningStateless">A Stateless snapshot exists: the VM runs (or last ran) stateless.</param>
/// <param name="LockedSnapshot">The description of a Locked snapshot, or null.</param>
/// <param name="ActiveMemoryMissing">The Active snapshot's memory volume is gone from the host.</param>
/// <param name="RecoveryPending">An interrupted operation on the VM is still to be finished or undone.</param>
public sealed record VmFacts(
    Guid Id, string Name, VmStatus Status, string? LockedBy, string? HostProblem, bool IsMissingOnHost,
    bool ClusterSupportsMemory, bool IsStateless, bool InPreview, bool HasPreviewSnapshot, bool RunningStateless,
    string? LockedSnapshot, bool ActiveHasMemory, bool ActiveMemoryMissing, bool RecoveryPending)
{
    /// <summary>The facts of a VM loaded with its cluster and its snapshots (with their memory volumes).</summary>
    public static VmFacts Of(Vm vm, VmStatus status, string? lockedBy, string? hostProblem, bool recoveryPending)
    {
        var active = vm.Snapshots.FirstOrDefault(s => s.Type == SnapshotType.Active);
        return new VmFacts(vm.Id, vm.Name, status, lockedBy, hostProblem, vm.IsMissingOnHost,
            vm.Cluster?.SupportsMemorySnapshots ?? false, vm.IsStateless,
            vm.Snapshots.Any(s => s.Status == SnapshotStatus.InPreview),
            vm.Snapshots.Any(s => s.Type == SnapshotType.Preview),
            vm.Snapshots.Any(s => s.Type == SnapshotType.Stateless),
            vm.Snapshots.FirstOrDefault(s => s.Status == SnapshotStatus.Locked)?.Description,
            active?.MemoryVolumeId is not null,
            active?.MemoryVolume is { IsMissingOnHost: true },
            recoveryPending);
    }
}

/// <summary>What the rules need to know about the snapshot an operation targets.</summary>
public sealed record SnapshotFacts(Guid Id, string Description, SnapshotType Type, SnapshotStatus Status, bool HasMemory, bool MemoryMissing = false)
{
    public static SnapshotFacts Of(Snapshot s) =>
        new(s.Id, s.Description, s.Type, s.Status, s.MemoryVolumeId is not null, s.MemoryVolume is { IsMissingOnHost: true });
}
