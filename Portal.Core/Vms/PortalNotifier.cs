using Microsoft.Extensions.Logging;
using Portal.Core.Audit;

namespace Portal.Core.Vms;

public abstract record PortalEvent(Guid? AboutVm);

public sealed record VmStatusChanged(Guid VmId, string VmName, VmStatus From, VmStatus To, DateTime At, string? Reason) : PortalEvent(VmId);

/// <summary>Created, Locked, Ok, Removed, MemoryCleared, InPreview, Committed, Undone.</summary>
public sealed record SnapshotChanged(Guid VmId, Guid SnapshotId, string Change) : PortalEvent(VmId);

/// <summary>
/// VMs were added, removed or changed in the portal's inventory. <paramref name="Reconciled"/>: published by the
/// inventory's reconcile itself (or by a change that only the database saw), so the hosts need not be reconciled again
/// for it; pages refresh either way.
/// </summary>
public sealed record VmInventoryChanged(bool Reconciled = false) : PortalEvent((Guid?)null);

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
    // Per-VM subscriptions (pages that show some VMs): an event about a VM reaches only the watches that show it.
    private VmWatch[] _watches = [];
    private Dictionary<Guid, VmWatch[]> _byVm = [];

    /// <summary>
    /// A subscription for a page that shows some VMs: <paramref name="handler"/> gets the events about the VMs set with
    /// <see cref="VmWatch.Show"/>, and those about no VM in particular (inventory, hosts). Nothing else: with thousands
    /// of VMs and tens of open pages, an event costs one handler call per page that shows the VM, not per page.
    /// </summary>
    public VmWatch Watch(Action<PortalEvent> handler)
    {
        var w = new VmWatch(this, handler);
        lock (_gate) _watches = [.. _watches, w];
        return w;
    }

    /// <summary>How many watches show the VM (for tests and diagnostics).</summary>
    public int WatchersOf(Guid vmId) => Volatile.Read(ref _byVm).TryGetValue(vmId, out var w) ? w.Length : 0;

    private void SetShown(VmWatch w, IReadOnlySet<Guid> before, IReadOnlySet<Guid> after)
    {
        lock (_gate)
        {
            var map = new Dictionary<Guid, VmWatch[]>(_byVm);
            foreach (var id in before)
            {
                if (after.Contains(id) || !map.TryGetValue(id, out var list)) continue;
                var rest = list.Where(x => x != w).ToArray();
                if (rest.Length == 0) map.Remove(id); else map[id] = rest;
            }
            foreach (var id in after)
                if (!before.Contains(id)) map[id] = map.TryGetValue(id, out var list) ? [.. list, w] : [w];
            Volatile.Write(ref _byVm, map);
        }
    }

    private void Unwatch(VmWatch w, IReadOnlySet<Guid> shown)
    {
        SetShown(w, shown, new HashSet<Guid>());
        lock (_gate) _watches = _watches.Where(x => x != w).ToArray();
    }

    private void Deliver(PortalEvent e)
    {
        var targets = e.AboutVm is { } vm
            ? (Volatile.Read(ref _byVm).TryGetValue(vm, out var list) ? list : [])
            : Volatile.Read(ref _watches);
        foreach (var w in targets)
        {
            try { w.Handler(e); }
            catch (Exception ex) { LogHandlerFailed(log, e.GetType().Name, ex); }
        }
    }

    public sealed class VmWatch : IDisposable
    {
        private readonly PortalNotifier _owner;
        private readonly Lock _gate = new();
        private IReadOnlySet<Guid> _shown = new HashSet<Guid>();
        private int _disposed;

        internal VmWatch(PortalNotifier owner, Action<PortalEvent> handler)
        {
            _owner = owner;
            Handler = handler;
        }

        internal Action<PortalEvent> Handler { get; }

        /// <summary>The VMs on screen now; events about others stop reaching this watch.</summary>
        public void Show(IEnumerable<Guid> vmIds)
        {
            var next = vmIds.ToHashSet();
            lock (_gate)
            {
                if (_disposed != 0) return;
                _owner.SetShown(this, _shown, next);
                _shown = next;
            }
        }

        public void Dispose()
        {
            lock (_gate)
            {
                if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
                _owner.Unwatch(this, _shown);
            }
        }
    }

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
        Deliver(e);
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
