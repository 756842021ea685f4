using Microsoft.EntityFrameworkCore;
using Portal.Core.Auth;
using Portal.Core.Persistence;

namespace Portal.Core.Commands;

/// <summary>
/// One run of a command: its own database context, the request and the actor, what it did so far, and its journal
/// row. A command class is shared (one per operation); everything a run needs lives here, typed, in a subclass.
/// </summary>
/// <remarks>
/// The journal row is tracked by the run's context from the start, so the first <see cref="SaveAsync"/> writes it in
/// the same transaction as the operation's first database change, and each later save keeps it up to date: a host
/// change is journaled (with how to undo it) <b>before</b> it is made, so a crash at any point leaves a row that says
/// what to undo or finish.
/// </remarks>
public abstract class CommandRun
{
    private readonly List<CompensationStep> _undo = [];
    private readonly List<CompensationStep> _forward = [];
    private readonly List<Action> _afterSave = [];
    private readonly List<IDisposable> _held = [];
    private CommandServices? _services;
    private PortalDbContext? _db;
    private OperationRecord? _record;

    /// <summary>When the run began (<see cref="System.Diagnostics.Stopwatch.GetTimestamp"/>), for the timings commands log.</summary>
    public long StartedAt { get; } = System.Diagnostics.Stopwatch.GetTimestamp();

    internal void Init(CommandServices services, PortalDbContext db, Actor actor, OperationRecord record)
    {
        _services = services;
        _db = db;
        Actor = actor;
        _record = record;
        db.OperationJournal.Add(record);
    }

    protected CommandServices S => _services ?? throw new InvalidOperationException("The run has not started.");
    public PortalDbContext Db => _db ?? throw new InvalidOperationException("The run has not started.");
    public Actor Actor { get; private set; } = Actor.System;
    public OperationRecord Record => _record ?? throw new InvalidOperationException("The run has not started.");
    public List<string> Warnings { get; } = [];

    /// <summary>What the success audit entry says; set by the command while it runs.</summary>
    public string? AuditMessage { get; set; }

    /// <summary>Whether the point of no return has been saved: from then on the operation is finished, never undone.</summary>
    public bool IsCommitted { get; private set; }

    /// <summary>Whether <see cref="FinishAsync"/> saved the run's end (its journal row removed, or kept for its cleanups).</summary>
    internal bool IsFinished { get; private set; }

    internal IReadOnlyList<CompensationStep> UndoSteps => _undo;

    private void Committed()
    {
        IsCommitted = true;
        _undo.Clear();
    }
    internal IReadOnlyList<CompensationStep> ForwardSteps => _forward;

    /// <summary>Whether the journal row has been written (the run changed something that may need undoing).</summary>
    internal bool IsJournaled => _db is not null && _db.Entry(Record).State is not (EntityState.Added or EntityState.Detached);

    /// <summary>Registers how to undo a change; saved with the next <see cref="SaveAsync"/>. Undo steps run newest first.</summary>
    public void OnUndo(CompensationStep step)
    {
        if (Record.Committed) throw new InvalidOperationException("An operation that commits cannot register undo steps.");
        _undo.Add(step);
        Record.UndoJson = JournalJson.Write(_undo);
    }

    /// <summary>Registers a change about to be made on the host, with its undo, and journals it before the change happens.</summary>
    public Task WillAsync(string step, CompensationStep undo, CancellationToken ct)
    {
        OnUndo(undo);
        return SaveAsync(step, ct);
    }

    /// <summary>
    /// Marks the point of no return: the next save commits the operation. Undo steps are dropped; <paramref name="then"/>
    /// are what remains to do on the host, run after the save (and by recovery, should the portal stop before they ran).
    /// </summary>
    public void Commit(params CompensationStep[] then)
    {
        // The journal stops holding undo steps with the save that commits; until that save succeeds, a failure still
        // undoes everything, with the steps kept here.
        Record.Committed = true;
        Record.UndoJson = "[]";
        _forward.AddRange(then);
        Record.ForwardJson = JournalJson.Write(_forward);
    }

    /// <summary>Remembers what recovery needs to know about this run (ids, names), as JSON in the journal.</summary>
    public void Remember<T>(T state) => Record.StateJson = JournalJson.WriteValue(state);

    /// <summary>Keeps <paramref name="resource"/> (another VM's lock, say) until the run has ended, then disposes it.</summary>
    public void Hold(IDisposable resource) => _held.Add(resource);

    internal void ReleaseHeld()
    {
        foreach (var h in _held) h.Dispose();
        _held.Clear();
    }

    /// <summary>An event about rows this run changed, published once its changes are saved (a page that re-reads must find them).</summary>
    public void NotifyAfterSave(Vms.PortalEvent e) => _afterSave.Add(() => S.Notifier.Publish(e));

    /// <summary>
    /// Runs <paramref name="action"/> once the next save has succeeded: what follows a change staged in this run's
    /// context by another service (a VM status, an audit entry), so that it shares the run's commit.
    /// </summary>
    public void AfterSave(Action action) => _afterSave.Add(action);

    private void Flush()
    {
        foreach (var a in _afterSave) a();
        _afterSave.Clear();
    }

    /// <summary>
    /// Saves every pending change with the journal row, as one transaction, and marks <paramref name="step"/> as
    /// reached. This is a step boundary: the test-only crash hook may stop the process here.
    /// </summary>
    public async Task SaveAsync(string step, CancellationToken ct)
    {
        Record.Step = step;
        Record.UpdatedAt = S.Now;
        await Db.SaveChangesAsync(ct);
        if (Record.Committed) Committed();
        Flush();
        S.Crash.At(Record.Kind, step);
    }

    /// <summary>
    /// Ends a run that succeeded: its last changes and the removal of its journal row, in one transaction. A run that
    /// never journaled anything just saves its changes.
    /// </summary>
    internal async Task FinishAsync(CancellationToken ct)
    {
        Record.Committed = true;
        var state = _db!.Entry(Record).State;
        if (_forward.Count > 0)
        {
            // Cleanups remain: the row stays (or is written now), committed, until they have run.
            Record.Step = "committed";
            Record.UpdatedAt = S.Now;
        }
        else if (state == EntityState.Added) _db.Entry(Record).State = EntityState.Detached;
        else _db.OperationJournal.Remove(Record);
        await _db.SaveChangesAsync(ct);
        Committed();
        IsFinished = true;
        Flush();
        S.Crash.At(Record.Kind, "finished");
    }
}

/// <summary>A run with a request.</summary>
public abstract class CommandRun<TRequest> : CommandRun
{
    public TRequest Request { get; internal set; } = default!;
}
