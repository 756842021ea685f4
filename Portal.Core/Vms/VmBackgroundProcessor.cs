using System.Threading.Channels;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Portal.Core.Persistence;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Portal.Core.Auth;
using Portal.Core.Hosts;

namespace Portal.Core.Vms;

/// <summary>
/// Reacts to what happens outside the portal: a VM that goes down gets oVirt's down-VM processing (stateless
/// restore), domains defined or undefined by another client are reconciled into the inventory, and so is a host
/// that (re)connects; the VMs of a host that disconnects become NotResponding.
/// </summary>
public sealed partial class VmBackgroundProcessor(PortalNotifier notifier, VmLocks locks, IServiceProvider services, ILogger<VmBackgroundProcessor> log) : BackgroundService
{
    private readonly Channel<PortalEvent> _work = Channel.CreateUnbounded<PortalEvent>(new() { SingleReader = true });
    private readonly Lock _gate = new();
    private int _queued;
    private TaskCompletionSource? _idle;
    private IDisposable? _subscription;

    /// <summary>
    /// Completes once every event queued so far has been handled (at once if none is). What an event queues while it
    /// is handled is waited for too: the task completes only when the queue is empty and nothing is being handled.
    /// </summary>
    public Task WhenIdleAsync()
    {
        lock (_gate)
        {
            if (_queued == 0) return Task.CompletedTask;
            return (_idle ??= new(TaskCreationOptions.RunContinuationsAsynchronously)).Task;
        }
    }

    private void Enqueue(PortalEvent e)
    {
        lock (_gate) _queued++;
        if (!_work.Writer.TryWrite(e)) Handled(1);
    }

    private void Handled(int count)
    {
        TaskCompletionSource? idle = null;
        lock (_gate)
        {
            _queued -= count;
            if (_queued == 0) (idle, _idle) = (_idle, null);
        }
        idle?.TrySetResult();
    }

    /// <summary>
    /// Subscribes before the host finishes starting: since .NET 10 all of ExecuteAsync runs later on the thread
    /// pool, and an event published before it got there would be lost.
    /// </summary>
    public override Task StartAsync(CancellationToken cancellationToken)
    {
        _subscription = notifier.Subscribe(e =>
        {
            // A Down published while an operation holds the VM was driven by that operation (Stop, Preview, a
            // failed Run…), which did its own down processing: queueing it would only take the VM's lock behind
            // the operation's back and refuse the user's next click with "'Process VM down' is in progress".
            if (e is VmStatusChanged { To: VmStatus.Down } down && locks.HeldBy(down.VmId) is not null) return;
            // The reconcile's own VmInventoryChanged would only start another reconcile that finds nothing to do.
            if (e is VmStatusChanged { To: VmStatus.Down } or VmInventoryChanged { Reconciled: false } or HostStateChanged { State: not HostState.Connecting })
                Enqueue(e);
        });
        return base.StartAsync(cancellationToken);
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        _subscription?.Dispose();
        await base.StopAsync(cancellationToken);
    }

    /// <summary>Only a VM that ran stateless has anything to restore; the others are not locked for nothing.</summary>
    private async Task<bool> HasStatelessSnapshotAsync(Guid vmId, CancellationToken ct)
    {
        await using var db = await services.GetRequiredService<IDbContextFactory<PortalDbContext>>().CreateDbContextAsync(ct);
        return await db.Snapshots.AnyAsync(s => s.VmId == vmId && s.Type == Snapshots.SnapshotType.Stateless, ct);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await foreach (var e in _work.Reader.ReadAllAsync(stoppingToken))
            {
                var handled = 1;
                // One failed item must not end the service: an unhandled exception here stops the whole portal
                // (BackgroundServiceExceptionBehavior.StopHost). The next event tries again.
                try
                {
                    switch (e)
                    {
                        case VmStatusChanged down when await HasStatelessSnapshotAsync(down.VmId, stoppingToken):
                            await services.GetRequiredService<ProcessDownVmCommand>().ExecuteAsync(new ProcessDownVmRequest(down.VmId), Actor.System, stoppingToken);
                            break;
                        case HostStateChanged { State: HostState.Connected }:
                            await services.GetRequiredService<VmInventory>().ReconcileAsync(stoppingToken);
                            await PortalStartup.ReconcileMemoryVolumesAsync(services, stoppingToken);
                            break;
                        case VmInventoryChanged:
                            // One reconcile covers every inventory change queued before it lists the hosts: a burst of
                            // defines (a script cloning VMs) is not a reconcile per domain.
                            while (_work.Reader.TryPeek(out var next) && next is VmInventoryChanged && _work.Reader.TryRead(out _)) handled++;
                            await services.GetRequiredService<VmInventory>().ReconcileAsync(stoppingToken);
                            break;
                        case HostStateChanged { State: HostState.Disconnected } lost:
                            await services.GetRequiredService<VmInventory>().HostLostAsync(lost.HostId, lost.NotConnectedReason, stoppingToken);
                            break;
                    }
                }
                catch (Exception ex) when (ex is not OperationCanceledException) { LogFailed(log, e.GetType().Name, ex); }
                finally { Handled(handled); }
            }
        }
        catch (OperationCanceledException) { }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Background processing of {Event} failed")]
    private static partial void LogFailed(ILogger log, string @event, Exception ex);
}
