using Microsoft.EntityFrameworkCore;
using Portal.Core.Auth;
using Portal.Core.Snapshots;
using Portal.Core.Vms;

namespace Portal.Core.Commands;

/// <summary>Every VM operation's request names its VM.</summary>
public interface IVmRequest
{
    Guid VmId { get; }
}

/// <summary>One run of a VM operation: the VM with its snapshots, its status when the run began, and what it did so far.</summary>
public class VmRun<TRequest> : CommandRun<TRequest> where TRequest : IVmRequest
{
    public Vm Vm { get; internal set; } = null!;

    /// <summary>The VM's status when the command started.</summary>
    public VmStatus Status { get; internal set; }

    public Snapshot Active => Vm.Snapshots.Single(s => s.Type == SnapshotType.Active);

    internal TaskCompletionSource<(object? Value, IReadOnlyList<string> Warnings)>? StartedSignal { get; set; }

    /// <summary>
    /// Tells a caller that used <c>StartAsync</c> that the operation is under way (its row exists, Locked) and
    /// will finish in the background, with the warnings known so far.
    /// </summary>
    public void MarkStarted(object? value) => StartedSignal?.TrySetResult((value, Warnings.ToArray()));
}

/// <summary>
/// An operation begun with <c>StartAsync</c>: either it finished (or was refused) before it got under way, in
/// <see cref="Finished"/>, or it is running and <see cref="StartedValue"/> says what it made so far.
/// </summary>
public sealed record StartedOperation(CommandResult? Finished, Task<CommandResult> Completion, object? StartedValue)
{
    /// <summary>The warnings the operation had when it got under way (a REST reply that does not wait shows them).</summary>
    public IReadOnlyList<string> StartedWarnings { get; init; } = [];
}

/// <summary>What the UI and the REST layer call on any VM operation, whatever its run type.</summary>
public interface IVmCommand<in TRequest> where TRequest : IVmRequest
{
    string Operation { get; }
    CommandResult? Authorize(Actor actor);
    Task<CommandResult> ExecuteAsync(TRequest request, Actor actor, CancellationToken ct = default);
    Task<StartedOperation> StartAsync(TRequest request, Actor actor);

    /// <summary>Why the operation would be refused on this VM now (host, lock, state), or null when it may run.</summary>
    Refusal? WhyRefused(VmFacts vm);
}

/// <summary>
/// The VM side of the <see cref="Command{TRequest,TRun}"/> template: the VM's lock, the VM loaded with its cluster,
/// host and snapshots, the host connected, no interrupted operation left to recover, the command's state rules
/// (<see cref="StateRefusal"/>, which the UI asks too), then its input and host checks.
/// </summary>
public abstract class VmCommand<TRequest, TRun>(CommandServices services) : Command<TRequest, TRun>(services), IVmCommand<TRequest>
    where TRequest : IVmRequest where TRun : VmRun<TRequest>, new()
{
    /// <summary>Helpdesk may run, stop, snapshot, preview and undo; the rest needs Admin.</summary>
    protected virtual bool RequiresAdmin => true;

    public override CommandResult? Authorize(Actor actor)
    {
        if (RequiresAdmin && !actor.IsAdmin)
            return CommandResult.Forbidden($"{Operation} needs the Admin role; {actor.UserName} is {(actor.IsHelpdesk ? Roles.Helpdesk : "neither Admin nor Helpdesk")}.");
        if (!actor.IsHelpdesk && !actor.IsAdmin)
            return CommandResult.Forbidden($"{actor.UserName} has no role that may change VMs.");
        return null;
    }

    /// <summary>
    /// Why this operation would be refused on the VM now: its host, another operation holding it, an interrupted
    /// operation still to recover, then the command's own state rules. Pages show this on disabled buttons.
    /// </summary>
    public Refusal? WhyRefused(VmFacts vm) =>
        Rules.HostIsConnected(vm.HostProblem) ?? Rules.NotBusy(vm.LockedBy) ?? Rules.NoRecoveryPending(vm) ?? StateRefusal(vm);

    /// <summary>The command's rules about the VM's state; the first refusal wins.</summary>
    protected abstract Refusal? StateRefusal(VmFacts vm);

    /// <summary>Checks of the request itself (a description, a name, a target domain); the first non-null refusal wins.</summary>
    protected virtual IEnumerable<Refusal?> Validate(TRun run) => [];

    /// <summary>Checks that ask the host (free space, say); they run only when every other check passed.</summary>
    protected virtual Task<Refusal?> ValidateOnHostAsync(TRun run, CancellationToken ct) => Task.FromResult<Refusal?>(null);

    /// <summary>Background processing (a stateless VM going down) waits for the lock instead of being refused.</summary>
    protected override Task<(IDisposable? Lock, string? HeldBy)> AcquireAsync(TRequest request, CancellationToken ct)
    {
        var l = S.Locks.TryAcquire(request.VmId, Operation, out var heldBy);
        return Task.FromResult((l, heldBy));
    }

    protected override string BusyMessage(string? heldBy) =>
        $"Cannot {Operation.ToLowerInvariant()}: the operation '{heldBy}' is in progress on this VM. Try again when it has finished.";

    // Pages show "operation in progress" from the lock: tell them it is free again.
    protected override void Released(TRequest request) => S.Notifier.Publish(new OperationProgress(request.VmId, Operation, 1, Done: true));

    protected override async Task<Refusal?> PrepareAsync(TRun run, CancellationToken ct)
    {
        var vmId = run.Request.VmId;
        var vm = await run.Db.Vms.Include(v => v.Cluster).Include(v => v.Host)
            .Include(v => v.Snapshots).ThenInclude(s => s.MemoryVolume).ThenInclude(m => m!.StorageDomain)
            .AsSplitQuery().FirstOrDefaultAsync(v => v.Id == vmId, ct);
        if (vm is null) return Refusal.Missing($"There is no VM with id {vmId}.");
        run.Vm = vm;
        run.Status = S.Monitor.StatusOf(vm.Id);
        run.Record.VmId = vm.Id;
        run.Record.VmName = vm.Name;
        run.Record.HostId = vm.HostId ?? S.Hosts.PrimaryId;
        var pending = await run.Db.OperationJournal.AnyAsync(r => r.VmId == vm.Id && !r.Committed, ct);
        var facts = VmFacts.Of(vm, run.Status, lockedBy: null, S.Hosts.HostOfVm(vm.HostId)?.NotConnectedReason, pending);
        return WhyRefused(facts) ?? Validate(run).FirstOrDefault(r => r is not null) ?? await ValidateOnHostAsync(run, ct);
    }

    /// <summary>
    /// Runs the operation to the end in the background, but returns as soon as it is under way (or refused), so a
    /// dialog can close and a REST call can answer 202 with the Locked snapshot.
    /// </summary>
    public async Task<StartedOperation> StartAsync(TRequest request, Actor actor)
    {
        var started = new TaskCompletionSource<(object? Value, IReadOnlyList<string> Warnings)>(TaskCreationOptions.RunContinuationsAsynchronously);
        var completion = Task.Run(() => RunAsync(request, actor, run => run.StartedSignal = started, CancellationToken.None));
        var first = await Task.WhenAny(started.Task, completion);
        if (first == completion) return new StartedOperation(await completion, completion, null);
        var (value, warnings) = await started.Task;
        return new StartedOperation(null, completion, value) { StartedWarnings = warnings };
    }

    /// <summary>An undone VM operation leaves the VM's status to its host.</summary>
    protected override async Task AfterUndoAsync(OperationRecord record, CancellationToken ct)
    {
        if (record.VmId is not { } id) return;
        try { await S.Monitor.RefreshFromHostAsync(id, $"{Operation.ToLowerInvariant()} undone", ct); }
        catch (Hypervisor.HypervisorException ex)
        {
            // The host does not answer (libvirtd killed during the operation): say so rather than leave a transitional status.
            await S.Monitor.SetStatusAsync(id, VmStatus.NotResponding, "the host did not answer after a failed operation", ct);
            throw new Hypervisor.HypervisorException("Reading the VM's state", ex.LibvirtMessage);
        }
    }

    protected override string FailureMessage(TRun run, string reason) =>
        $"Failed to {Operation.ToLowerInvariant()} on VM {run.Record.VmName}: {reason}";
}

/// <summary>A VM operation that needs no state of its own beyond the VM.</summary>
public abstract class VmCommand<TRequest>(CommandServices services) : VmCommand<TRequest, VmRun<TRequest>>(services) where TRequest : IVmRequest;
