using Portal.Core.Audit;
using Portal.Core.Auth;
using Portal.Core.Commands;
using Portal.Core.Persistence;

namespace Portal.Core.Hosts;

/// <summary>
/// What adding and removing a host share: Admin only, checked here whatever the entry point; one change to the hosts
/// at a time (two adds of one URI cannot both pass the duplicate check); an audit entry for every outcome, refusals
/// included, since these change what the portal manages (as user management does).
/// </summary>
public abstract class HostCommand(CommandServices services)
{
    protected CommandServices S => services;

    /// <summary>A short name shown to users ("Add host"), also the audit entry's operation.</summary>
    public abstract string Operation { get; }

    /// <summary>Null when <paramref name="actor"/> may change the hosts; otherwise the Forbidden result.</summary>
    public CommandResult? Authorize(Actor actor) =>
        actor.IsAdmin ? null
            : CommandResult.Forbidden($"{Operation} needs the Admin role; {actor.UserName} is {(actor.IsHelpdesk ? Roles.Helpdesk : "not an Admin")}.");

    /// <param name="subject">Names the host in the audit entry of a refusal or failure ("'kvm2' (qemu+ssh://kvm2/system)").</param>
    protected async Task<CommandResult> RunAsync(Actor actor, string subject, Func<PortalDbContext, CancellationToken, Task<CommandResult>> body, CancellationToken ct)
    {
        var result = Authorize(actor);
        if (result is null)
        {
            await S.Hosts.Changes.WaitAsync(ct);
            try
            {
                await using var db = await S.Db.CreateDbContextAsync(ct);
                result = await body(db, ct);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                result = CommandResult.Failed(ex.Message);
            }
            finally { S.Hosts.Changes.Release(); }
        }
        var outcome = !result.Succeeded ? AuditOutcome.Failure : result.WarningList.Count > 0 ? AuditOutcome.Warning : AuditOutcome.Success;
        await S.Audit.WriteAsync(actor.UserName, null, null, Operation, outcome,
            result.Succeeded ? string.Join(" ", [result.Message!, .. result.WarningList]) : $"Could not {Operation.ToLowerInvariant()} {subject}: {result.Message}");
        return result;
    }

    protected static CommandResult Refuse(Refusal refusal) => new(refusal.Kind, refusal.Reason);
}
