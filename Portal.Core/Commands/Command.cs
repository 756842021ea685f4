using System.Diagnostics;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Portal.Core.Audit;
using Portal.Core.Auth;

namespace Portal.Core.Commands;

/// <summary>A command that can finish or undo its own interrupted runs from their journal rows.</summary>
public interface IRecoverableCommand
{
    string Operation { get; }

    /// <summary>
    /// Finishes (committed, or the host already did the work) or undoes an interrupted run, under the operation's lock.
    /// Returns what it did, for the audit; null when the lock was held and nothing was done.
    /// </summary>
    Task<RecoveryOutcome?> RecoverAsync(OperationRecord record, CancellationToken ct);
}

/// <param name="Finished">True when the operation was completed, false when it was undone.</param>
/// <param name="Failures">Steps that failed; the journal row stays and recovery tries again later.</param>
public sealed record RecoveryOutcome(bool Finished, string Message, IReadOnlyList<string> Failures);

/// <summary>
/// The template every operation follows, after oVirt's CommandBase, in one place for VMs, snapshots, storage, hosts,
/// export and import:
/// <list type="number">
/// <item>authorize (the actor's role, on the server, whatever the entry point);</item>
/// <item>take the operation's lock (the VM's, or the storage or host gate);</item>
/// <item>validate, with a reason a user can read;</item>
/// <item>execute: each change journaled with how to undo it (<see cref="CommandRun.WillAsync"/>), each step saved;</item>
/// <item>end: commit (the last changes and the journal row's removal in one transaction), then the cleanups that
/// follow the commit; or, on failure, every undo step, newest first, each one tried even when an earlier one failed;</item>
/// <item>audit: success with the commit (or after the cleanups that follow it), never on the compensation path; a
/// failure names every step that failed;</item>
/// <item>notify.</item>
/// </list>
/// </summary>
public abstract partial class Command<TRequest, TRun>(CommandServices services) : IRecoverableCommand where TRun : CommandRun<TRequest>, new()
{
    protected CommandServices S => services;

    /// <summary>A short name shown to users ("Create snapshot"), the audit entry's operation and the journal's kind.</summary>
    public abstract string Operation { get; }

    /// <summary>Null when <paramref name="actor"/> may run this operation, otherwise the Forbidden result.</summary>
    public abstract CommandResult? Authorize(Actor actor);

    /// <summary>Whether refusals (not only failures) are audited: changes to storage and hosts are rare and worth a trace.</summary>
    protected virtual bool AuditRefusals => false;

    /// <summary>Takes the operation's lock, or says which operation holds it.</summary>
    protected abstract Task<(IDisposable? Lock, string? HeldBy)> AcquireAsync(TRequest request, CancellationToken ct);

    protected virtual string BusyMessage(string? heldBy) =>
        $"Cannot {Operation.ToLowerInvariant()}: the operation '{heldBy}' is in progress. Try again when it has finished.";

    /// <summary>Called after the lock is released (pages show "in progress" from the lock).</summary>
    protected virtual void Released(TRequest request) { }

    /// <summary>Loads what the run works on and checks every rule; the first refusal wins.</summary>
    protected abstract Task<Refusal?> PrepareAsync(TRun run, CancellationToken ct);

    protected abstract Task<object?> ExecuteCoreAsync(TRun run, CancellationToken ct);

    /// <summary>After the undo steps ran (in-process or in recovery): put derived state right, e.g. the VM's status from its host.</summary>
    protected virtual Task AfterUndoAsync(OperationRecord record, CancellationToken ct) => Task.CompletedTask;

    /// <summary>The audit subject: (VM id, VM name) or (null, null).</summary>
    protected virtual (Guid? VmId, string? VmName) Subject(TRun run) => (run.Record.VmId, run.Record.VmName);

    protected virtual string FailureMessage(TRun run, string reason) => $"Failed to {Operation.ToLowerInvariant()}: {reason}";

    protected virtual string RefusalMessage(TRun run, Refusal refusal) => Refusal.Describe(Operation, refusal.Reason);

    protected virtual string ForbiddenMessage(TRequest request, CommandResult forbidden) =>
        Refusal.Describe(Operation, forbidden.Message ?? "the user may not do this");

    protected virtual string SuccessMessage(TRun run) => run.AuditMessage ?? $"{Operation} has been completed.";

    public Task<CommandResult> ExecuteAsync(TRequest request, Actor actor, CancellationToken ct = default) => RunAsync(request, actor, null, ct);

    /// <summary>The body shared by <see cref="ExecuteAsync"/> and the VM commands' <c>StartAsync</c>.</summary>
    private protected async Task<CommandResult> RunAsync(TRequest request, Actor actor, Action<TRun>? initialized, CancellationToken ct)
    {
        // Every operation is counted and timed by kind and outcome, refusals included; one that throws counts as failed.
        var started = Stopwatch.GetTimestamp();
        var outcome = ResultKind.Failed;
        try
        {
            var result = await RunTemplateAsync(request, actor, initialized, ct);
            outcome = result.Kind;
            return result;
        }
        finally
        {
            var elapsed = Stopwatch.GetElapsedTime(started);
            S.Metrics.OperationEnded(Operation, outcome, elapsed);
            LogEnded(S.Loggers.CreateLogger(GetType()), Operation, outcome, actor.UserName, elapsed.TotalMilliseconds);
        }
    }

    private async Task<CommandResult> RunTemplateAsync(TRequest request, Actor actor, Action<TRun>? initialized, CancellationToken ct)
    {
        if (Authorize(actor) is { } forbidden)
        {
            if (AuditRefusals) await AuditQuietlyAsync(actor.UserName, null, null, AuditOutcome.Failure, ForbiddenMessage(request, forbidden));
            return forbidden;
        }
        if (TextInput.Check(request) is { } badText) return CommandResult.Invalid(badText);
        var (held, heldBy) = await AcquireAsync(request, ct);
        if (held is null) return CommandResult.Conflict(BusyMessage(heldBy));
        try
        {
            await using var db = await S.Db.CreateDbContextAsync(ct);
            var run = new TRun { Request = request };
            run.Init(S, db, actor, new OperationRecord
            {
                Kind = Operation, User = actor.UserName, Step = "started", StartedAt = S.Now, UpdatedAt = S.Now,
                RequestJson = JournalJson.WriteValue(request),
            });
            initialized?.Invoke(run);
            S.Running.TryAdd(run.Record.Id, 0);
            try
            {
                if (await PrepareAsync(run, ct) is { } refusal)
                {
                    if (AuditRefusals)
                    {
                        var (vmId, vmName) = Subject(run);
                        await AuditQuietlyAsync(actor.UserName, vmId, vmName, AuditOutcome.Failure, RefusalMessage(run, refusal));
                    }
                    return new CommandResult(refusal.Kind, refusal.Reason);
                }
                return await ExecuteRunAsync(run, ct);
            }
            finally
            {
                run.ReleaseHeld();
                S.Running.TryRemove(run.Record.Id, out _);
            }
        }
        finally
        {
            held.Dispose();
            Released(request);
        }
    }

    private async Task<CommandResult> ExecuteRunAsync(TRun run, CancellationToken ct)
    {
        object? value;
        int? staged = null; // the warnings named by a success entry staged for the commit; null: none was staged
        try
        {
            value = await ExecuteCoreAsync(run, ct);
            staged = StageSuccess(run);
            await run.FinishAsync(ct);
        }
        catch (Exception ex) when (!run.IsCommitted)
        {
            var reason = ex is OperationCanceledException ? "the operation was cancelled" : ex.Message;
            var failures = await CompensateAsync(run);
            var message = FailureMessage(run, reason) + (failures.Count == 0 ? ""
                : $" Undoing it also failed: {string.Join("; ", failures)}. What is left is undone as soon as the host answers again.");
            var (vmId, vmName) = Subject(run);
            await AuditQuietlyAsync(run.Actor.UserName, vmId, vmName, AuditOutcome.Failure, message);
            LogFailed(S.Loggers.CreateLogger(GetType()), Operation, ex);
            return CommandResult.Failed(FailureMessage(run, reason));
        }
        catch (Exception ex)
        {
            // It failed after its point of no return: the operation stands; say what did not follow.
            value = null;
            run.Warnings.Add($"{Operation} was completed, but a step after it failed: {Reason(ex)}");
            LogFailed(S.Loggers.CreateLogger(GetType()), Operation, ex);
        }

        // Committed: what is left are cleanups on the host. Their failure does not undo the operation; the journal row
        // stays and recovery runs them again when the host answers.
        if (run.ForwardSteps.Count > 0 || !run.IsFinished)
        {
            var failed = await RunForwardAsync(run.Record, run.ForwardSteps, CancellationToken.None);
            run.Warnings.AddRange(failed.Select(f => $"A cleanup after the operation did not finish yet and will be retried: {f}."));
        }
        var (id, name) = Subject(run);
        if (staged is not { } named || !run.IsFinished)
            await AuditQuietlyAsync(run.Actor.UserName, id, name, SuccessOutcome(run), SuccessText(run));
        else if (run.Warnings.Count > named)
            await AuditQuietlyAsync(run.Actor.UserName, id, name, AuditOutcome.Warning, string.Join(" ", run.Warnings.Skip(named)));
        return CommandResult.Ok(value, run.AuditMessage, run.Warnings.ToArray());
    }

    /// <summary>
    /// A run with nothing left to do on the host after its commit has its success entry written with the commit: the
    /// entry exists exactly when the operation does (a portal killed right after the commit used to lose it), and the
    /// write costs no transaction of its own. Returns how many warnings the entry names, or null when cleanups follow
    /// the commit (their failures belong in the entry, written after them).
    /// </summary>
    private int? StageSuccess(TRun run)
    {
        if (run.ForwardSteps.Count > 0) return null;
        var (id, name) = Subject(run);
        var entry = S.Audit.Stage(run.Db, run.Actor.UserName, id, name, Operation, SuccessOutcome(run), SuccessText(run));
        run.AfterSave(() => S.Audit.Published(entry));
        return run.Warnings.Count;
    }

    private static AuditOutcome SuccessOutcome(TRun run) => run.Warnings.Count == 0 ? AuditOutcome.Success : AuditOutcome.Warning;

    private string SuccessText(TRun run) =>
        SuccessMessage(run) + (run.Warnings.Count == 0 || run.AuditMessage is not null ? "" : " " + string.Join(" ", run.Warnings));

    /// <summary>
    /// Runs every undo step of a failed run, newest first, each in its own try, in a fresh context (the run's may hold
    /// the failed changes). Removes the journal row when all succeeded; otherwise keeps it with the steps that failed,
    /// for recovery to try again. Returns the failures.
    /// </summary>
    private async Task<IReadOnlyList<string>> CompensateAsync(TRun run)
    {
        if (!run.IsJournaled && run.UndoSteps.Count == 0)
        {
            await AfterUndoQuietlyAsync(run.Record, []);
            return [];
        }
        var failures = await UndoAsync(run.Record, run.UndoSteps, CancellationToken.None);
        await AfterUndoQuietlyAsync(run.Record, failures);
        return failures;
    }

    private async Task AfterUndoQuietlyAsync(OperationRecord record, List<string> failures)
    {
        try { await AfterUndoAsync(record, CancellationToken.None); }
        catch (Exception ex) { failures.Add(ex.Message); }
    }

    /// <summary>Runs <paramref name="steps"/> newest first and settles the journal row: gone when all ran, kept with what failed.</summary>
    private async Task<List<string>> UndoAsync(OperationRecord record, IReadOnlyList<CompensationStep> steps, CancellationToken ct)
    {
        var failures = new List<string>();
        var remaining = new List<CompensationStep>();
        await using var db = await S.Db.CreateDbContextAsync(ct);
        var c = new StepContext(S, db);
        foreach (var step in steps.Reverse())
        {
            try
            {
                await step.RunAsync(c, ct);
                await db.SaveChangesAsync(ct);
            }
            catch (Exception ex)
            {
                db.ChangeTracker.Clear();
                failures.Add($"{step.Describe()}: {Reason(ex)}");
                remaining.Insert(0, step);
            }
        }
        await ReleaseMemoryAsync(c, failures, ct);
        await SettleRecordAsync(db, record.Id, remaining, failures, forward: false, ct);
        return failures;
    }

    /// <summary>Runs the cleanups of a committed run in order, and settles its journal row.</summary>
    private async Task<List<string>> RunForwardAsync(OperationRecord record, IReadOnlyList<CompensationStep> steps, CancellationToken ct)
    {
        var failures = new List<string>();
        var remaining = new List<CompensationStep>();
        await using var db = await S.Db.CreateDbContextAsync(ct);
        var c = new StepContext(S, db);
        foreach (var step in steps)
        {
            try
            {
                await step.RunAsync(c, ct);
                await db.SaveChangesAsync(ct);
            }
            catch (Exception ex)
            {
                db.ChangeTracker.Clear();
                failures.Add($"{step.Describe()}: {Reason(ex)}");
                remaining.Add(step);
            }
        }
        await ReleaseMemoryAsync(c, failures, ct);
        await SettleRecordAsync(db, record.Id, remaining, failures, forward: true, ct);
        return failures;
    }

    /// <summary>Memory volumes the steps let go of are deleted once nothing references them (the reference count).</summary>
    private async Task ReleaseMemoryAsync(StepContext c, List<string> failures, CancellationToken ct)
    {
        if (c.ReleasedMemory.Count == 0) return;
        try { await S.Memory.ReleaseUnreferencedAsync(c.Db, c.ReleasedMemory.Cast<Guid?>(), ct); }
        catch (Exception ex) { failures.Add($"release memory volumes: {Reason(ex)}"); }
    }

    private async Task SettleRecordAsync(Microsoft.EntityFrameworkCore.DbContext db, Guid recordId, List<CompensationStep> remaining, List<string> failures, bool forward, CancellationToken ct)
    {
        db.ChangeTracker.Clear();
        var row = await db.Set<OperationRecord>().FirstOrDefaultAsync(r => r.Id == recordId, ct);
        if (row is null && remaining.Count == 0) return;
        if (remaining.Count == 0) db.Remove(row!);
        else
        {
            if (row is null) return; // never journaled: nothing durable to retry from (in-memory steps only)
            if (forward) row.ForwardJson = JournalJson.Write(remaining);
            else row.UndoJson = JournalJson.Write(remaining);
            row.Step = forward ? "cleanup-pending" : "undo-pending";
            row.Failures = Shorten(string.Join("; ", failures));
            row.UpdatedAt = S.Now;
        }
        await db.SaveChangesAsync(ct);
    }

    // ---- recovery of an interrupted run ----

    /// <summary>
    /// An interrupted run that had not committed: whether the host finished its work anyway (a snapshot libvirt completed,
    /// a VM that runs from its memory). Default: no, so the run is undone.
    /// </summary>
    protected virtual Task<bool> HostFinishedAsync(OperationRecord record, CancellationToken ct) => Task.FromResult(false);

    /// <summary>Completes, in the database, a run whose host finished the work (<see cref="HostFinishedAsync"/>).</summary>
    protected virtual Task<IReadOnlyList<CompensationStep>> CompleteAsync(OperationRecord record, CancellationToken ct) =>
        throw new InvalidOperationException($"{Operation} cannot be completed after an interruption.");

    /// <summary>
    /// Finishes or undoes an interrupted run under the operation's own lock. Returns null when the lock is held (a new
    /// operation got there first: recovery tries again on its next pass).
    /// </summary>
    public async Task<RecoveryOutcome?> RecoverAsync(OperationRecord record, CancellationToken ct)
    {
        var request = JournalJson.ReadValue<TRequest>(record.RequestJson)!;
        var (held, _) = await AcquireAsync(request, ct);
        if (held is null) return null;
        try { return await RecoverLockedAsync(record, ct); }
        finally
        {
            held.Dispose();
            Released(request);
        }
    }

    private async Task<RecoveryOutcome> RecoverLockedAsync(OperationRecord record, CancellationToken ct)
    {
        if (record.Committed)
        {
            var failed = await RunForwardAsync(record, JournalJson.Read(record.ForwardJson), ct);
            return new RecoveryOutcome(true, "it had been completed; the cleanups it left were " + (failed.Count == 0 ? "done" : "tried"), failed);
        }
        if (await HostFinishedAsync(record, ct))
        {
            var then = await CompleteAsync(record, ct);
            var failed = await RunForwardAsync(record, then, ct);
            return new RecoveryOutcome(true, "the host had done it, so it was completed", failed);
        }
        var failures = await UndoAsync(record, JournalJson.Read(record.UndoJson), ct);
        await AfterUndoQuietlyAsync(record, failures);
        return new RecoveryOutcome(false, "it had not finished, so it was undone", failures);
    }

    // ---- helpers ----

    private async Task AuditQuietlyAsync(string user, Guid? vmId, string? vmName, AuditOutcome outcome, string message)
    {
        try { await S.Audit.WriteAsync(user, vmId, vmName, Operation, outcome, message); }
        catch (Exception ex) { LogAuditFailed(S.Loggers.CreateLogger(GetType()), Operation, outcome, message, ex); }
    }

    protected static string Reason(Exception ex) => ex is Hypervisor.HypervisorException h ? h.LibvirtMessage : ex.Message;

    private static string Shorten(string s) => s.Length <= 4000 ? s : s[..3999] + "…";

    [LoggerMessage(Level = LogLevel.Information, Message = "{Operation} ended {Outcome} for {User} in {ElapsedMs:0} ms")]
    private static partial void LogEnded(ILogger log, string operation, ResultKind outcome, string user, double elapsedMs);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Operation} failed")]
    private static partial void LogFailed(ILogger log, string operation, Exception ex);

    [LoggerMessage(Level = LogLevel.Error, Message = "The audit entry of {Operation} ({Outcome}: {Message}) could not be written")]
    private static partial void LogAuditFailed(ILogger log, string operation, AuditOutcome outcome, string message, Exception ex);
}
