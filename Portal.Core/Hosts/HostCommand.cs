using Portal.Core.Auth;
using Portal.Core.Commands;

namespace Portal.Core.Hosts;

/// <summary>One run of a host command.</summary>
public class HostRun<TRequest> : CommandRun<TRequest>
{
    /// <summary>Names the host in the audit entry of a refusal or failure ("'kvm2' (qemu+ssh://kvm2/system)").</summary>
    public string Subject { get; set; } = "";
}

/// <summary>
/// What adding and removing a host share, on the <see cref="Command{TRequest,TRun}"/> template: Admin only, checked
/// whatever the entry point; one change to the hosts at a time (two adds of one URI cannot both pass the duplicate
/// check); an audit entry for every outcome, refusals included, since these change what the portal manages.
/// </summary>
public abstract class HostCommand<TRequest>(CommandServices services) : Command<TRequest, HostRun<TRequest>>(services)
{
    protected override bool AuditRefusals => true;

    public override CommandResult? Authorize(Actor actor) =>
        actor.IsAdmin ? null
            : CommandResult.Forbidden($"{Operation} needs the Admin role; {actor.UserName} is {(actor.IsHelpdesk ? Roles.Helpdesk : "not an Admin")}.");

    protected override async Task<(IDisposable? Lock, string? HeldBy)> AcquireAsync(TRequest request, CancellationToken ct)
    {
        await S.Hosts.Changes.WaitAsync(ct);
        return (new Releaser(S.Hosts.Changes), null);
    }

    /// <summary>Names the host a request is about, for the audit entry ("'kvm2' (qemu+ssh://kvm2/system)").</summary>
    protected abstract string SubjectOf(TRequest request);

    protected override string ForbiddenMessage(TRequest request, CommandResult forbidden) =>
        $"Could not {Operation.ToLowerInvariant()} {SubjectOf(request)}: {forbidden.Message}";

    protected override string RefusalMessage(HostRun<TRequest> run, Refusal refusal) =>
        $"Could not {Operation.ToLowerInvariant()} {run.Subject}: {refusal.Reason}";

    protected override string FailureMessage(HostRun<TRequest> run, string reason) =>
        $"Could not {Operation.ToLowerInvariant()} {run.Subject}: {reason}";

    protected override string SuccessMessage(HostRun<TRequest> run) => string.Join(" ", [run.AuditMessage!, .. run.Warnings]);

    private sealed class Releaser(SemaphoreSlim gate) : IDisposable
    {
        private int _done;
        public void Dispose()
        {
            if (Interlocked.Exchange(ref _done, 1) == 0) gate.Release();
        }
    }
}
