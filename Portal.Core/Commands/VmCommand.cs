using Microsoft.EntityFrameworkCore;
using Portal.Core.Audit;
using Portal.Core.Auth;
using Portal.Core.Persistence;
using Portal.Core.Snapshots;
using Portal.Core.Vms;

namespace Portal.Core.Commands;

/// <summary>Every VM operation's request names its VM.</summary>
public interface IVmRequest
{
    Guid VmId { get; }
}

/// <summary>The state one run of a command works on: its own database context and the VM with its snapshots.</summary>
public sealed class CommandContext<TRequest>(PortalDbContext db, Vm vm, TRequest request, Actor actor, VmStatus status)
{
    public PortalDbContext Db => db;
    public Vm Vm => vm;
    public TRequest Request => request;
    public Actor Actor => actor;

    /// <summary>The VM's status when the command started.</summary>
    public VmStatus Status => status;

    public Snapshot Active => vm.Snapshots.Single(s => s.Type == SnapshotType.Active);
    public List<string> Warnings { get; } = [];

    /// <summary>What the success audit entry says; set by the command while it runs.</summary>
    public string? AuditMessage { get; set; }

    /// <summary>What one run has done so far, for its compensation. Commands are shared, so this lives here.</summary>
    public object? State { get; set; }

    public T StateAs<T>() where T : class, new() => (T)(State ??= new T());

    internal TaskCompletionSource<(object? Value, IReadOnlyList<string> Warnings)>? StartedSignal { get; init; }

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

/// <summary>
/// The template every VM operation follows, after oVirt's CommandBase: take the VM's lock, validate (its host
/// connected first, then a reason a user can read), execute, end with success or with compensation, write an audit entry either way, notify.
/// </summary>
public abstract class VmCommand<TRequest>(CommandServices services) where TRequest : IVmRequest
{
    protected CommandServices S => services;

    /// <summary>A short name shown to users ("Create snapshot"), also the name of the lock while it runs.</summary>
    public abstract string Operation { get; }

    /// <summary>Helpdesk may run, stop, snapshot, preview and undo; the rest needs Admin.</summary>
    protected virtual bool RequiresAdmin => true;

    public Task<CommandResult> ExecuteAsync(TRequest request, Actor actor, CancellationToken ct = default) =>
        ExecuteAsync(request, actor, null, ct);

    /// <summary>
    /// Runs the operation to the end in the background, but returns as soon as it is under way (or refused), so a
    /// dialog can close and a REST call can answer 202 with the Locked snapshot.
    /// </summary>
    public async Task<StartedOperation> StartAsync(TRequest request, Actor actor)
    {
        var started = new TaskCompletionSource<(object? Value, IReadOnlyList<string> Warnings)>(TaskCreationOptions.RunContinuationsAsynchronously);
        var completion = Task.Run(() => ExecuteAsync(request, actor, started, CancellationToken.None));
        var first = await Task.WhenAny(started.Task, completion);
        if (first == completion) return new StartedOperation(await completion, completion, null);
        var (value, warnings) = await started.Task;
        return new StartedOperation(null, completion, value) { StartedWarnings = warnings };
    }

    /// <summary>
    /// Null when <paramref name="actor"/> may run this operation, otherwise the Forbidden result. Every run checks
    /// it first; a caller that chains operations (REST restore = preview + commit) asks before starting the first.
    /// </summary>
    public CommandResult? Authorize(Actor actor)
    {
        if (RequiresAdmin && !actor.IsAdmin)
            return CommandResult.Forbidden($"{Operation} needs the Admin role; {actor.UserName} is Helpdesk.");
        if (!actor.IsHelpdesk && !actor.IsAdmin)
            return CommandResult.Forbidden($"{actor.UserName} has no role that may change VMs.");
        return null;
    }

    private async Task<CommandResult> ExecuteAsync(TRequest request, Actor actor, TaskCompletionSource<(object? Value, IReadOnlyList<string> Warnings)>? started, CancellationToken ct)
    {
        if (Authorize(actor) is { } forbidden) return forbidden;

        var (vmLock, heldBy) = await AcquireLockAsync(request.VmId, ct);
        if (vmLock is null)
            return CommandResult.Conflict($"Cannot {Operation.ToLowerInvariant()}: the operation '{heldBy}' is in progress on this VM. Try again when it has finished.");
        try
        {
            return await RunLockedAsync(request, actor, started, ct);
        }
        finally
        {
            vmLock.Dispose();
            // Pages show "operation in progress" from the lock: tell them it is free again.
            S.Notifier.Publish(new OperationProgress(request.VmId, Operation, 1, Done: true));
        }
    }

    private async Task<CommandResult> RunLockedAsync(TRequest request, Actor actor, TaskCompletionSource<(object? Value, IReadOnlyList<string> Warnings)>? started, CancellationToken ct)
    {
        await using var db = await S.Db.CreateDbContextAsync(ct);
        var vm = await db.Vms.Include(v => v.Cluster).Include(v => v.Host)
            .Include(v => v.Snapshots).ThenInclude(s => s.MemoryVolume).ThenInclude(m => m!.StorageDomain)
            .AsSplitQuery().FirstOrDefaultAsync(v => v.Id == request.VmId, ct);
        if (vm is null) return CommandResult.NotFound($"There is no VM with id {request.VmId}.");

        var ctx = new CommandContext<TRequest>(db, vm, request, actor, S.Monitor.StatusOf(vm.Id)) { StartedSignal = started };
        var refusal = Rules.HostIsConnected(S.Hosts.HostOfVm(vm.HostId)) ?? Validate(ctx).FirstOrDefault(r => r is not null)
                      ?? await ValidateOnHostAsync(ctx, ct);
        if (refusal is not null) return new CommandResult(refusal.Kind, refusal.Reason);

        try
        {
            var value = await ExecuteCoreAsync(ctx, ct);
            await S.Audit.WriteAsync(actor.UserName, vm.Id, vm.Name, Operation,
                ctx.Warnings.Count == 0 ? AuditOutcome.Success : AuditOutcome.Warning,
                ctx.AuditMessage ?? $"{Operation} on VM {vm.Name} has been completed.");
            return CommandResult.Ok(value, ctx.AuditMessage, ctx.Warnings);
        }
        catch (Exception ex)
        {
            var reason = ex is OperationCanceledException ? "the operation was cancelled" : ex.Message;
            string? compensationError = null;
            try { await CompensateAsync(ctx, ex); }
            catch (Exception cex) { compensationError = cex.Message; }
            await S.Audit.WriteAsync(actor.UserName, vm.Id, vm.Name, Operation, AuditOutcome.Failure,
                FailureMessage(ctx, reason) + (compensationError is null ? "" : $" Cleaning up also failed: {compensationError}"));
            return CommandResult.Failed(FailureMessage(ctx, reason));
        }
    }

    /// <summary>Background processing (a stateless VM going down) waits for the lock instead of being refused.</summary>
    protected virtual Task<(IDisposable? Lock, string? HeldBy)> AcquireLockAsync(Guid vmId, CancellationToken ct)
    {
        var l = S.Locks.TryAcquire(vmId, Operation, out var heldBy);
        return Task.FromResult((l, heldBy));
    }

    /// <summary>The checks, in order; the first non-null refusal wins. Written as <c>yield return</c> so later checks can rely on earlier ones.</summary>
    protected abstract IEnumerable<Refusal?> Validate(CommandContext<TRequest> ctx);

    /// <summary>Checks that ask the host (free space, say); they run only when every other check passed.</summary>
    protected virtual Task<Refusal?> ValidateOnHostAsync(CommandContext<TRequest> ctx, CancellationToken ct) => Task.FromResult<Refusal?>(null);

    protected abstract Task<object?> ExecuteCoreAsync(CommandContext<TRequest> ctx, CancellationToken ct);

    /// <summary>Undo whatever <see cref="ExecuteCoreAsync"/> got done. Runs in a fresh state of mind: re-read what it needs.</summary>
    protected abstract Task CompensateAsync(CommandContext<TRequest> ctx, Exception error);

    protected virtual string FailureMessage(CommandContext<TRequest> ctx, string reason) =>
        $"Failed to {Operation.ToLowerInvariant()} on VM {ctx.Vm.Name}: {reason}";
}
