using Portal.Core.Hosts;
using Portal.Core.Snapshots;
using Portal.Core.Vms;

namespace Portal.Core.Commands;

/// <summary>Small named checks that commands chain in their Validate; each returns the reason it refuses, or null.</summary>
public static class Rules
{
    /// <summary>Nothing can be done to a VM whose host the portal cannot reach: "Host X is not connected: libvirt's reason".</summary>
    public static Refusal? HostIsConnected(HostConnectionInfo? host) => HostIsConnected(host?.NotConnectedReason);

    public static Refusal? HostIsConnected(string? hostProblem) => hostProblem is { } reason ? new(reason) : null;

    /// <summary>One operation per VM at a time.</summary>
    public static Refusal? NotBusy(string? lockedBy) =>
        lockedBy is { } op ? new($"'{op}' is in progress on this VM.") : null;

    public static Refusal? NoRecoveryPending(VmFacts vm) =>
        vm.RecoveryPending ? new("An interrupted operation on this VM is still being finished or undone; try again in a moment.") : null;

    public static Refusal? VmIsDown(VmStatus status, string action) =>
        status == VmStatus.Down ? null : new($"The VM must be Down to {action}. It is {Describe(status)}.");

    public static Refusal? VmIsRunning(VmStatus status, string action) =>
        status is VmStatus.Up or VmStatus.Paused ? null : new($"The VM must be running to {action}. It is {Describe(status)}.");

    public static Refusal? VmCanStart(VmStatus status) =>
        status is VmStatus.Down or VmStatus.Suspended ? null : new($"The VM cannot be run while it is {Describe(status)}.");

    public static Refusal? ExistsOnHost(VmFacts vm) =>
        vm.IsMissingOnHost ? new("The VM no longer exists on its host. Remove it from the portal, or define its domain on the host again.") : null;

    public static Refusal? SnapshotExists(SnapshotFacts? s) =>
        s is null ? Refusal.Missing("The snapshot does not exist (it may have been removed).") : null;

    public static Refusal? NotInPreview(VmFacts vm) =>
        vm.InPreview ? new("The VM is in preview of a snapshot. Commit or undo the preview first.") : null;

    public static Refusal? InPreview(VmFacts vm) =>
        vm.InPreview ? null : new("The VM has no snapshot in preview.");

    public static Refusal? NoSnapshotLocked(VmFacts vm) =>
        vm.LockedSnapshot is { } l ? new($"The snapshot '{l}' is locked by an operation in progress.") : null;

    public static Refusal? NotLocked(VmStatus status) =>
        status is VmStatus.ImageLocked or VmStatus.SavingState or VmStatus.RestoringState
            ? new($"The VM is {Describe(status)}; wait until that has finished.") : null;

    public static Refusal? NotRunningStateless(VmFacts vm) =>
        vm.RunningStateless
            ? new("The VM is running as Stateless. Snapshots cannot be taken of a stateless VM while it runs.") : null;

    public static Refusal? SnapshotIsOk(SnapshotFacts s, string action) => s.Status switch
    {
        SnapshotStatus.Locked => new($"Cannot {action}: the snapshot is locked by an operation in progress."),
        SnapshotStatus.InPreview => new($"Cannot {action}: the snapshot is in preview. Commit or undo the preview first."),
        _ => null,
    };

    public static Refusal? IsRegular(SnapshotFacts s, string action) =>
        s.Type == SnapshotType.Regular ? null : new($"Cannot {action}: '{s.Description}' is not a regular snapshot.");

    public static Refusal? Description(string? description)
    {
        if (string.IsNullOrWhiteSpace(description)) return Refusal.BadInput("Enter a description for the snapshot.");
        if (description.Length > Snapshot.MaxDescriptionLength)
            return Refusal.BadInput($"The description is {description.Length} characters long; at most {Snapshot.MaxDescriptionLength} are allowed.");
        if (description.Any(c => char.IsControl(c) && c is not '\n' and not '\r' and not '\t'))
            return Refusal.BadInput("The description contains control characters.");
        return null;
    }

    public static string Describe(VmStatus s) => s switch
    {
        VmStatus.PoweringUp => "Powering up",
        VmStatus.RestoringState => "Restoring state",
        VmStatus.SavingState => "Saving state",
        VmStatus.PoweringDown => "Powering down",
        VmStatus.ImageLocked => "Image locked",
        VmStatus.WaitForLaunch => "Wait for launch",
        VmStatus.NotResponding => "Not responding",
        _ => s.ToString(),
    };
}
