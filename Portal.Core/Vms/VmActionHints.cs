using Portal.Core.Commands;

namespace Portal.Core.Vms;

/// <summary>
/// Why a button is disabled, for the UI. The commands' own checks stay the rule; these reuse the same
/// <see cref="Rules"/> so the hint and the refusal say the same thing.
/// </summary>
public static class VmActionHints
{
    public static string? WhyCannotRun(VmRow vm) =>
        vm.HostProblem is { } host ? host
        : vm.LockedBy is { } op ? $"'{op}' is in progress on this VM."
        : vm.IsMissingOnHost ? "The VM no longer exists on its host."
        : Rules.VmCanStart(vm.Status)?.Reason;

    public static string? WhyCannotStop(VmRow vm) =>
        vm.HostProblem is { } host ? host
        : vm.LockedBy is { } op ? $"'{op}' is in progress on this VM."
        : vm.Status is VmStatus.Up or VmStatus.Paused or VmStatus.PoweringUp or VmStatus.PoweringDown or VmStatus.NotResponding ? null
        : $"The VM is {Rules.Describe(vm.Status)}; only a running VM can be stopped.";

    public static string? WhyCannotSnapshot(VmRow vm) =>
        vm.HostProblem is { } host ? host
        : vm.LockedBy is { } op ? $"'{op}' is in progress on this VM."
        : vm.InPreview ? "The VM is in preview of a snapshot. Commit or undo the preview first."
        : vm.Status is VmStatus.Down or VmStatus.Up or VmStatus.Paused ? null
        : $"Cannot create a snapshot while the VM is {Rules.Describe(vm.Status)}.";

    /// <summary>Save Memory is offered only for a running VM in a cluster at 3.3 or later.</summary>
    public static bool OffersSaveMemory(VmRow vm) => vm.ClusterSupportsMemory && vm.Status is VmStatus.Up or VmStatus.Paused;
}
