using System.Collections.Concurrent;
using System.Threading.Channels;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Portal.Core.Hypervisor;
using Portal.Core.Persistence;

namespace Portal.Core.Vms;

/// <summary>
/// Keeps every VM's status in step with the host, from libvirt lifecycle events (no polling), records each
/// transition with its time and publishes it. While a command holds a VM's lock the command drives the status
/// (SavingState, RestoringState, ImageLocked…) and events for that VM are only logged.
/// </summary>
public sealed partial class VmMonitor(
    IHypervisor hypervisor, IDbContextFactory<PortalDbContext> dbFactory, PortalNotifier notifier, VmLocks locks,
    TimeProvider clock, ILogger<VmMonitor> log, Observability.PortalMetrics metrics) : BackgroundService
{
    private readonly ConcurrentDictionary<Guid, VmStatus> _status = new();
    private readonly SemaphoreSlim _writeGate = new(1, 1);
    private readonly ConcurrentDictionary<Guid, bool> _missedWhileLocked = new();
    private readonly Channel<DomainLifecycleEvent> _events = Channel.CreateUnbounded<DomainLifecycleEvent>(new() { SingleReader = true });

    public VmStatus StatusOf(Guid vmId) => _status.TryGetValue(vmId, out var s) ? s : VmStatus.Down;

    /// <summary>Sets a VM's status, stores the transition with its time and tells every subscriber.</summary>
    public async Task SetStatusAsync(Guid vmId, VmStatus to, string? reason = null, CancellationToken ct = default)
    {
        await _writeGate.WaitAsync(ct);
        try
        {
            var from = StatusOf(vmId);
            if (from == to && _status.ContainsKey(vmId)) return;
            var at = clock.GetUtcNow().UtcDateTime;
            await using var db = await dbFactory.CreateDbContextAsync(ct);
            var vm = await db.Vms.FirstOrDefaultAsync(v => v.Id == vmId, ct);
            if (vm is null || Unchanged(vm, to)) return;
            var change = Record(db, vm, to, reason, at);
            await db.SaveChangesAsync(ct);
            Applied(change);
        }
        finally { _writeGate.Release(); }
    }

    /// <summary>
    /// Stages a status change of a VM an operation holds in the operation's own context, so that it is written with the
    /// operation's next commit instead of in a commit of its own. Returns the change, for <see cref="Applied"/> once that
    /// commit succeeded; null when the VM already has the status. Only for a VM whose lock the caller holds: while it is
    /// held nothing else writes the VM's status.
    /// </summary>
    public VmStatusChanged? Stage(PortalDbContext db, Vm vm, VmStatus to, string reason)
    {
        if (From(vm) == to && _status.ContainsKey(vm.Id)) return null;
        return Record(db, vm, to, reason, clock.GetUtcNow().UtcDateTime);
    }

    /// <summary>The change on the row and its transition, in <paramref name="db"/>; <see cref="Applied"/> follows the save.</summary>
    private VmStatusChanged Record(PortalDbContext db, Vm vm, VmStatus to, string? reason, DateTime at)
    {
        var from = From(vm);
        vm.Status = to;
        vm.StatusSince = at;
        db.VmStatusTransitions.Add(new VmStatusTransition { VmId = vm.Id, From = from, To = to, At = at, Reason = reason });
        return new VmStatusChanged(vm.Id, vm.Name, from, to, at, reason);
    }

    /// <summary>A change from <see cref="Stage"/> has been committed: it is followed from now on, logged and published.</summary>
    public void Applied(VmStatusChanged e)
    {
        _status[e.VmId] = e.To;
        LogTransition(log, e.VmName, e.From, e.To, e.Reason);
        notifier.Publish(e);
    }

    /// <summary>
    /// Sets many VMs' statuses (a host reconciled or lost) in batches: one context and one commit per 500 VMs instead of
    /// one per VM. Each change is recorded and published like <see cref="SetStatusAsync"/>'s.
    /// </summary>
    public async Task SetStatusesAsync(IReadOnlyCollection<(Guid VmId, VmStatus To)> changes, string? reason, CancellationToken ct = default)
    {
        await _writeGate.WaitAsync(ct);
        try
        {
            var todo = changes.Where(c => !(StatusOf(c.VmId) == c.To && _status.ContainsKey(c.VmId))).DistinctBy(c => c.VmId).ToList();
            foreach (var chunk in todo.Chunk(500))
            {
                var at = clock.GetUtcNow().UtcDateTime;
                await using var db = await dbFactory.CreateDbContextAsync(ct);
                var ids = chunk.Select(c => c.VmId).ToList();
                var vms = await db.Vms.Where(v => ids.Contains(v.Id)).ToDictionaryAsync(v => v.Id, ct);
                var done = new List<VmStatusChanged>();
                foreach (var (id, to) in chunk)
                {
                    if (!vms.TryGetValue(id, out var vm) || Unchanged(vm, to)) continue;
                    done.Add(Record(db, vm, to, reason, at));
                }
                await db.SaveChangesAsync(ct);
                foreach (var e in done) Applied(e);
            }
        }
        finally { _writeGate.Release(); }
    }

    /// <summary>Sets the status from what libvirt says the domain is doing now; NotResponding while its host is not connected.</summary>
    public async Task<VmStatus> RefreshFromHostAsync(Guid vmId, string reason, CancellationToken ct = default)
    {
        DomainInfo? info;
        try { info = await hypervisor.FindDomainAsync(vmId, ct); }
        catch (HostNotConnectedException ex)
        {
            await SetStatusAsync(vmId, VmStatus.NotResponding, ex.LibvirtMessage, ct);
            return VmStatus.NotResponding;
        }
        var status = info is null ? VmStatus.Down : FromRunState(info.State);
        await SetStatusAsync(vmId, status, reason, ct);
        return status;
    }

    /// <summary>
    /// Seeds the in-memory view from the database (used at start, before events flow). A VM the monitor already
    /// follows keeps its status: the database row read by a later reconcile may be older than the last event.
    /// </summary>
    public void Prime(Guid vmId, VmStatus status) => _status.TryAdd(vmId, status);

    /// <summary>The status a transition starts from: the one followed, or for a VM not followed yet its row's.</summary>
    private VmStatus From(Vm vm) => _status.TryGetValue(vm.Id, out var s) ? s : vm.Status;

    /// <summary>
    /// A VM the monitor was not following yet (a VM missing on its host, never primed) whose row already has the status:
    /// it is followed from now on and no transition is recorded (each start recorded a "Down -> Down" for every such VM).
    /// </summary>
    private bool Unchanged(Vm vm, VmStatus to)
    {
        if (vm.Status != to || _status.ContainsKey(vm.Id)) return false;
        _status[vm.Id] = to;
        return true;
    }

    /// <summary>Stops following a VM the portal forgot (removed, or an import that was undone).</summary>
    public void Forget(Guid vmId) => _status.TryRemove(vmId, out _);

    public static VmStatus FromRunState(DomainRunState s) => s switch
    {
        DomainRunState.Running or DomainRunState.Blocked => VmStatus.Up,
        DomainRunState.Paused => VmStatus.Paused,
        DomainRunState.ShuttingDown => VmStatus.PoweringDown,
        DomainRunState.PmSuspended => VmStatus.Suspended,
        _ => VmStatus.Down,
    };

    // Runs on the libvirt event thread: only hand the event over.
    private void OnEvent(DomainLifecycleEvent e) => _events.Writer.TryWrite(e);

    /// <summary>
    /// Subscribes before the host finishes starting: since .NET 10 all of ExecuteAsync runs later on the thread
    /// pool, and an event raised before it got there would be lost.
    /// </summary>
    public override Task StartAsync(CancellationToken cancellationToken)
    {
        hypervisor.LifecycleEvent += OnEvent;
        // An event that arrived while an operation held the VM may have been about something else (another client
        // started it again): when the lock is released, read the host once more.
        _released = notifier.Subscribe(e =>
        {
            if (e is OperationProgress { Done: true } done && _missedWhileLocked.TryRemove(done.VmId, out _))
                _events.Writer.TryWrite(new DomainLifecycleEvent(done.VmId, "", DomainEventKind.Resumed, -1, clock.GetUtcNow()));
        });
        return base.StartAsync(cancellationToken);
    }

    private IDisposable? _released;

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        hypervisor.LifecycleEvent -= OnEvent;
        _released?.Dispose();
        await base.StopAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await foreach (var e in _events.Reader.ReadAllAsync(stoppingToken))
            {
                try
                {
                    await HandleAsync(e, stoppingToken);
                    // Lag: from libvirt's callback to the status stored and published (the queue included).
                    if (e.Detail >= 0) metrics.EventHandled(DateTimeOffset.UtcNow - e.At);
                }
                catch (Exception ex) when (ex is not OperationCanceledException) { LogEventFailed(log, e.DomainName, ex); }
            }
        }
        catch (OperationCanceledException) { }
    }

    private async Task HandleAsync(DomainLifecycleEvent e, CancellationToken ct)
    {
        LogEvent(log, e.DomainName, e.Kind, e.Detail);
        if (e.Kind is DomainEventKind.Defined or DomainEventKind.Undefined)
        {
            notifier.Publish(new VmInventoryChanged());
            return;
        }
        if (locks.HeldBy(e.DomainId) is { } op)
        {
            _missedWhileLocked[e.DomainId] = true;
            LogHeld(log, e.DomainName, e.Kind, op);
            return;
        }
        // The event is a trigger, the host's current state is the truth: events arrive after the fact, and a late
        // one (a Suspended from a paused restore that has since been resumed) must not win.
        await RefreshFromHostAsync(e.DomainId, $"libvirt event {e.Kind}", ct);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "VM {VmName}: {From} -> {To} ({Reason})")]
    private static partial void LogTransition(ILogger log, string vmName, VmStatus from, VmStatus to, string? reason);

    [LoggerMessage(Level = LogLevel.Debug, Message = "libvirt event for {VmName}: {Kind} detail {Detail}")]
    private static partial void LogEvent(ILogger log, string vmName, DomainEventKind kind, int detail);

    [LoggerMessage(Level = LogLevel.Debug, Message = "libvirt event {Kind} for {VmName} left to the running operation {Operation}")]
    private static partial void LogHeld(ILogger log, string vmName, DomainEventKind kind, string operation);

    [LoggerMessage(Level = LogLevel.Error, Message = "Handling a libvirt event for {VmName} failed")]
    private static partial void LogEventFailed(ILogger log, string vmName, Exception ex);
}
