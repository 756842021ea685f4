using System.Threading.Channels;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Portal.Core.Auth;

namespace Portal.Core.Vms;

/// <summary>
/// Reacts to what happens outside the portal: a VM that goes down gets oVirt's down-VM processing (stateless
/// restore), and domains defined or undefined by another client are reconciled into the inventory.
/// </summary>
public sealed class VmBackgroundProcessor(PortalNotifier notifier, VmLocks locks, IServiceProvider services) : BackgroundService
{
    private readonly Channel<PortalEvent> _work = Channel.CreateUnbounded<PortalEvent>(new() { SingleReader = true });
    private IDisposable? _subscription;

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
            if (e is VmStatusChanged { To: VmStatus.Down } or VmInventoryChanged) _work.Writer.TryWrite(e);
        });
        return base.StartAsync(cancellationToken);
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        _subscription?.Dispose();
        await base.StopAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await foreach (var e in _work.Reader.ReadAllAsync(stoppingToken))
            {
                switch (e)
                {
                    case VmStatusChanged down:
                        await services.GetRequiredService<ProcessDownVmCommand>().ExecuteAsync(new ProcessDownVmRequest(down.VmId), Actor.System, stoppingToken);
                        break;
                    case VmInventoryChanged:
                        await services.GetRequiredService<VmInventory>().ReconcileAsync(stoppingToken);
                        break;
                }
            }
        }
        catch (OperationCanceledException) { }
    }
}
