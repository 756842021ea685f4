using Microsoft.Extensions.Logging;
using Portal.Core.Audit;

namespace Portal.Core.Vms;

public abstract record PortalEvent(Guid? AboutVm);

public sealed record VmStatusChanged(Guid VmId, string VmName, VmStatus From, VmStatus To, DateTime At, string? Reason) : PortalEvent(VmId);

/// <summary>Created, Locked, Ok, Removed, MemoryCleared, InPreview, Committed, Undone.</summary>
public sealed record SnapshotChanged(Guid VmId, Guid SnapshotId, string Change) : PortalEvent(VmId);

public sealed record VmInventoryChanged() : PortalEvent((Guid?)null);

public sealed record AuditAdded(AuditEntry Entry) : PortalEvent(Entry.VmId);

/// <summary>Progress of a long operation on a VM, 0..1; <see cref="Done"/> closes it.</summary>
public sealed record OperationProgress(Guid VmId, string Operation, double Fraction, bool Done) : PortalEvent(VmId);

/// <summary>
/// The one in-process fan-out of everything that changes. Pages, the SignalR hub and background processors
/// subscribe; handlers run on the publisher's thread and must only hand work off (InvokeAsync, channels).
/// </summary>
public sealed partial class PortalNotifier(ILogger<PortalNotifier> log)
{
    private readonly Lock _gate = new();
    private Action<PortalEvent>[] _handlers = [];

    public IDisposable Subscribe(Action<PortalEvent> handler)
    {
        lock (_gate) _handlers = [.. _handlers, handler];
        return new Subscription(this, handler);
    }

    public void Publish(PortalEvent e)
    {
        foreach (var h in Volatile.Read(ref _handlers))
        {
            try { h(e); }
            catch (Exception ex) { LogHandlerFailed(log, e.GetType().Name, ex); }
        }
    }

    private void Unsubscribe(Action<PortalEvent> handler)
    {
        lock (_gate) _handlers = _handlers.Where(h => h != handler).ToArray();
    }

    private sealed class Subscription(PortalNotifier owner, Action<PortalEvent> handler) : IDisposable
    {
        private int _disposed;
        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0) owner.Unsubscribe(handler);
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "A subscriber failed while handling {EventType}")]
    private static partial void LogHandlerFailed(ILogger log, string eventType, Exception ex);
}
