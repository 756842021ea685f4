using Portal.Core.Auth;
using Portal.Core.Commands;
using Portal.Core.Vms;

namespace Portal.Core.Storage;

/// <summary>The storage domains changed: one was added or removed.</summary>
public sealed record StorageDomainsChanged() : PortalEvent((Guid?)null);

/// <summary>One run of a storage command.</summary>
public class StorageRun<TRequest> : CommandRun<TRequest>;

/// <summary>
/// The storage side of the <see cref="Command{TRequest,TRun}"/> template: Admin only, one storage change at a time
/// (two Admins cannot race on one pool or name), an audit entry for every outcome (refusals too: changing the host's
/// storage is rare and worth a trace), notify.
/// </summary>
public abstract class StorageCommand<TRequest, TRun>(CommandServices services) : Command<TRequest, TRun>(services)
    where TRun : StorageRun<TRequest>, new()
{
    protected override bool AuditRefusals => true;

    public override CommandResult? Authorize(Actor actor) =>
        actor.IsAdmin ? null : CommandResult.Forbidden($"{Operation} needs the Admin role; {actor.UserName} is Helpdesk.");

    protected override async Task<(IDisposable? Lock, string? HeldBy)> AcquireAsync(TRequest request, CancellationToken ct)
    {
        await StorageGate.Gate.WaitAsync(ct);
        return (new Releaser(), null);
    }

    protected override void Released(TRequest request) => S.Notifier.Publish(new StorageDomainsChanged());

    private sealed class Releaser : IDisposable
    {
        private int _done;
        public void Dispose()
        {
            if (Interlocked.Exchange(ref _done, 1) == 0) StorageGate.Gate.Release();
        }
    }
}

/// <summary>Storage changes run one at a time, across both commands.</summary>
internal static class StorageGate
{
    public static readonly SemaphoreSlim Gate = new(1, 1);
}

/// <summary>Stops and undefines a libvirt pool, if the host has it. Nothing in it is deleted.</summary>
public sealed record RemovePoolStep(string Pool) : CompensationStep
{
    public override string Describe() => $"remove the libvirt pool {Pool}";

    public override async Task RunAsync(StepContext c, CancellationToken ct)
    {
        if ((await c.S.Hypervisor.ListPoolsAsync(ct)).Any(p => p.Name == Pool)) await c.S.Hypervisor.RemovePoolAsync(Pool, ct);
    }
}
