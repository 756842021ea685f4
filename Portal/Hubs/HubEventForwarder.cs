using System.Threading.Channels;
using Microsoft.AspNetCore.SignalR;
using Portal.Api;
using Portal.Core.Vms;

namespace Portal.Hubs;

/// <summary>
/// Forwards the portal's notifications to every hub client, in the order they were published. The notifier calls
/// handlers on the publisher's thread, so the handler only queues; one reader sends.
/// </summary>
public sealed partial class HubEventForwarder(PortalNotifier notifier, IHubContext<EventsHub> hub, ILogger<HubEventForwarder> log) : BackgroundService
{
    private readonly Channel<PortalEvent> _queue = Channel.CreateUnbounded<PortalEvent>(new() { SingleReader = true });

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var subscription = notifier.Subscribe(e =>
        {
            if (e is VmStatusChanged or SnapshotChanged or AuditAdded) _queue.Writer.TryWrite(e);
        });
        try
        {
            await foreach (var e in _queue.Reader.ReadAllAsync(stoppingToken))
            {
                try { await SendAsync(e, stoppingToken); }
                catch (Exception ex) when (ex is not OperationCanceledException) { LogSendFailed(log, e.GetType().Name, ex); }
            }
        }
        catch (OperationCanceledException) { }
    }

    private Task SendAsync(PortalEvent e, CancellationToken ct) => e switch
    {
        VmStatusChanged s => hub.Clients.All.SendAsync(EventsHubMessages.VmStatusChanged,
            new VmStatusMessage(s.VmId, s.VmName, Representations.SnakeCase(s.From.ToString()), Representations.SnakeCase(s.To.ToString()),
                Representations.Utc(s.At), s.Reason), ct),
        SnapshotChanged s => hub.Clients.All.SendAsync(EventsHubMessages.SnapshotChanged,
            new SnapshotMessage(s.VmId, s.SnapshotId, Representations.SnakeCase(s.Change)), ct),
        AuditAdded a => hub.Clients.All.SendAsync(EventsHubMessages.AuditAdded,
            new AuditMessage(a.Entry.Id, Representations.Utc(a.Entry.At), a.Entry.User, a.Entry.VmId, a.Entry.VmName, a.Entry.Operation,
                Representations.Severity(a.Entry.Outcome), a.Entry.Message), ct),
        _ => Task.CompletedTask,
    };

    [LoggerMessage(Level = LogLevel.Warning, Message = "Forwarding {EventType} to hub clients failed")]
    private static partial void LogSendFailed(ILogger log, string eventType, Exception ex);
}
