using Portal.Core.Audit;
using Portal.Core.Auth;
using Portal.Core.Commands;
using Portal.Core.Persistence;
using Portal.Core.Vms;

namespace Portal.Core.Storage;

/// <summary>The storage domains changed: one was added or removed.</summary>
public sealed record StorageDomainsChanged() : PortalEvent((Guid?)null);

/// <summary>One run of a storage command: its own database context, the request, and what it did so far.</summary>
public sealed class StorageCommandContext<TRequest>(PortalDbContext db, TRequest request, Actor actor)
{
    public PortalDbContext Db => db;
    public TRequest Request => request;
    public Actor Actor => actor;
    public List<string> Warnings { get; } = [];

    /// <summary>What the success audit entry says; set by the command while it runs.</summary>
    public string? AuditMessage { get; set; }

    /// <summary>What one run has done so far, for its compensation. Commands are shared, so this lives here.</summary>
    public object? State { get; set; }

    public T StateAs<T>() where T : class, new() => (T)(State ??= new T());
}

/// <summary>
/// The template of the storage domain operations, the storage side of <see cref="VmCommand{TRequest}"/>: Admin only,
/// one storage change at a time, validate (a reason a user can read), execute, compensate on failure, an audit entry
/// for every outcome (refusals too: changing the host's storage is rare and worth a trace), notify.
/// </summary>
public abstract class StorageCommand<TRequest>(CommandServices services)
{
    protected CommandServices S => services;

    /// <summary>A short name shown to users ("Add storage domain"), also the audit entry's operation.</summary>
    public abstract string Operation { get; }

    public async Task<CommandResult> ExecuteAsync(TRequest request, Actor actor, CancellationToken ct = default)
    {
        if (!actor.IsAdmin)
            return await AuditedAsync(actor, CommandResult.Forbidden($"{Operation} needs the Admin role; {actor.UserName} is Helpdesk."));

        await StorageGate.Gate.WaitAsync(ct);
        try
        {
            await using var db = await S.Db.CreateDbContextAsync(ct);
            var ctx = new StorageCommandContext<TRequest>(db, request, actor);
            if (await ValidateAsync(ctx, ct) is { } refusal)
                return await AuditedAsync(actor, new CommandResult(refusal.Kind, refusal.Reason));
            try
            {
                var value = await ExecuteCoreAsync(ctx, ct);
                await S.Audit.WriteAsync(actor.UserName, null, null, Operation, ctx.Warnings.Count == 0 ? AuditOutcome.Success : AuditOutcome.Warning,
                    ctx.AuditMessage ?? $"{Operation} has been completed." + (ctx.Warnings.Count == 0 ? "" : " " + string.Join(" ", ctx.Warnings)));
                return CommandResult.Ok(value, ctx.AuditMessage, ctx.Warnings);
            }
            catch (Exception ex)
            {
                var reason = ex is OperationCanceledException ? "the operation was cancelled" : ex.Message;
                string? cleanup = null;
                try { await CompensateAsync(ctx); }
                catch (Exception cex) { cleanup = cex.Message; }
                var failed = CommandResult.Failed(FailureMessage(ctx, reason));
                await S.Audit.WriteAsync(actor.UserName, null, null, Operation, AuditOutcome.Failure,
                    failed.Message + (cleanup is null ? "" : $" Cleaning up also failed: {cleanup}"));
                return failed;
            }
        }
        finally
        {
            StorageGate.Gate.Release();
            S.Notifier.Publish(new StorageDomainsChanged());
        }
    }

    private async Task<CommandResult> AuditedAsync(Actor actor, CommandResult refused)
    {
        await S.Audit.WriteAsync(actor.UserName, null, null, Operation, AuditOutcome.Failure, $"{Operation} was refused: {refused.Message}");
        return refused;
    }

    /// <summary>The checks; the first refusal wins. Host checks (does the pool exist?) belong here too.</summary>
    protected abstract Task<Refusal?> ValidateAsync(StorageCommandContext<TRequest> ctx, CancellationToken ct);

    protected abstract Task<object?> ExecuteCoreAsync(StorageCommandContext<TRequest> ctx, CancellationToken ct);

    /// <summary>Undo whatever <see cref="ExecuteCoreAsync"/> got done.</summary>
    protected abstract Task CompensateAsync(StorageCommandContext<TRequest> ctx);

    protected abstract string FailureMessage(StorageCommandContext<TRequest> ctx, string reason);
}

/// <summary>Storage changes run one at a time, across both commands, so two Admins cannot race on one pool or name.</summary>
internal static class StorageGate
{
    public static readonly SemaphoreSlim Gate = new(1, 1);
}
