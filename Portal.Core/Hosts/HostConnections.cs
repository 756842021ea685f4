using System.Collections.Concurrent;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Portal.Core.Hypervisor;
using Portal.Core.Persistence;
using Portal.Core.Vms;

namespace Portal.Core.Hosts;

/// <summary>
/// Opens a libvirt connection, blocking for as long as libvirt takes. The app opens real ones
/// (<see cref="Libvirt.LibvirtHypervisor.Open"/>); tests wrap them to inject faults.
/// </summary>
public delegate IHypervisor HypervisorFactory(string uri);

/// <summary>
/// One libvirt connection per host row, kept alive. Each host is Connecting (never reached yet), Connected, or
/// Disconnected with libvirt's reason and the time it went. Connections are opened on threads of their own (libvirt
/// blocks, a host that drops packets for minutes), a dropped one is noticed from libvirt's close callback or the
/// periodic <c>virConnectIsAlive</c> check, and an unreachable host is tried again with a doubling back-off.
/// Every change is published as <see cref="HostStateChanged"/>; the inventory marks the host's VMs NotResponding or
/// reconciles them from it.
/// </summary>
/// <remarks>
/// It also knows which host holds which domain (<see cref="HostOfDomainAsync"/>), from the inventory's listings, the
/// hosts' own events and the VMs' rows, so that <see cref="RoutingHypervisor"/> sends each call to the right host.
/// </remarks>
public sealed partial class HostConnections(
    HypervisorFactory open, IDbContextFactory<PortalDbContext> dbFactory, PortalConnection portal, PortalNotifier notifier,
    IOptions<HostConnectionOptions> options, TimeProvider clock, ILogger<HostConnections> log) : BackgroundService
{
    private readonly ConcurrentDictionary<Guid, Entry> _hosts = new();
    private readonly ConcurrentDictionary<Guid, Guid> _placement = new();
    private readonly Lock _primaryGate = new();
    // Completed when start-up hands the primary's connection to its entry; until then the watch does not open it too.
    private readonly TaskCompletionSource _primaryHandedOver = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private IHypervisor? _openedPrimary;
    private Task<IHypervisor>? _earlyPrimary;
    private Guid? _primaryId;
    private bool _primaryIsTestDriver;

    /// <summary>Held by <see cref="HostCommand"/> while it adds or removes a host: one change to the hosts at a time.</summary>
    internal SemaphoreSlim Changes { get; } = new(1, 1);

    private HostConnectionOptions O => options.Value;
    private DateTime Now => clock.GetUtcNow().UtcDateTime;

    /// <summary>Lifecycle events of every connected host, each with its <see cref="DomainLifecycleEvent.HostId"/>. Raised on libvirt's event thread.</summary>
    public event Action<DomainLifecycleEvent>? LifecycleEvent;

    /// <summary>The configured host's URI (<c>Libvirt:Uri</c>, or the embedded test driver's node file).</summary>
    public string PrimaryUri => portal.LibvirtUri;

    /// <summary>Whether the configured host is libvirt's in-process test driver (known once it has been opened).</summary>
    public bool PrimaryIsTestDriver => _primaryIsTestDriver;

    /// <summary>The configured host's row id, once <see cref="LoadAsync"/> has read the rows.</summary>
    public Guid? PrimaryId => _primaryId;

    /// <summary>
    /// Starts opening the configured host on a thread of its own while the portal opens its database and starts
    /// serving: libvirt's test driver parses every domain file when opened (2.3 s at 5,000 VMs), one core's work the
    /// web server's start does not need. <see cref="OpenPrimaryAsync"/> takes the result, or libvirt's failure.
    /// </summary>
    public void BeginOpeningPrimary()
    {
        lock (_primaryGate)
            if (_openedPrimary is null && _earlyPrimary is null)
                _earlyPrimary = Task.Factory.StartNew(() => open(portal.LibvirtUri), CancellationToken.None,
                    TaskCreationOptions.LongRunning, TaskScheduler.Default);
    }

    /// <summary>
    /// Opens the configured host. Start-up calls this first and stops with libvirt's sentence when it fails: a portal
    /// whose own host cannot be reached at start is misconfigured, not having a bad moment.
    /// </summary>
    public async Task<IHypervisor> OpenPrimaryAsync(CancellationToken ct = default)
    {
        Task<IHypervisor>? early;
        lock (_primaryGate)
        {
            if (_openedPrimary is { } already) return already;
            early = _earlyPrimary;
            _earlyPrimary = null;
        }
        var opened = await (early ?? Task.Run(() => open(portal.LibvirtUri), ct));
        lock (_primaryGate)
        {
            if (_openedPrimary is null)
            {
                _openedPrimary = opened;
                _primaryIsTestDriver = opened.IsTestDriver;
                return opened;
            }
        }
        DisposeQuietly(opened);
        return _openedPrimary;
    }

    /// <summary>
    /// Reads the host rows (after seeding) and hands the primary's connection to its row. The other hosts are connected
    /// by the running service, so that what their connecting publishes reaches subscribers that have started.
    /// </summary>
    /// <remarks>
    /// May run before the primary is opened (the portal listens while start-up connects it): its entry then stays
    /// Connecting, and the watch leaves its opening to start-up, which calls this again once it has the connection.
    /// </remarks>
    public async Task LoadAsync(CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        foreach (var h in await db.Hosts.AsNoTracking().ToListAsync(ct))
        {
            var e = _hosts.GetOrAdd(h.Id, _ => new Entry(h.Id, h.Name, h.Uri, h.Uri == portal.LibvirtUri, Now));
            if (!e.IsPrimary) continue;
            _primaryId = e.Id;
            IHypervisor? primary;
            lock (_primaryGate)
            {
                primary = _openedPrimary;
                _openedPrimary = null;
            }
            if (primary is not null)
            {
                Opened(e, primary, publish: false);
                _primaryHandedOver.TrySetResult();
            }
            else
                lock (e.Gate)
                    e.Opening ??= _primaryHandedOver.Task;
        }
    }

    /// <summary>
    /// The inventory has reconciled the host's VMs with <paramref name="connection"/>: commands on them may run.
    /// Ignored when the host has since lost that connection (its next one is reconciled again).
    /// </summary>
    public void MarkReconciled(Guid hostId, IHypervisor connection)
    {
        if (!_hosts.TryGetValue(hostId, out var e)) return;
        lock (e.Gate)
        {
            if (e.Removed || !ReferenceEquals(e.Connection, connection) || e.Reconciled) return;
            e.Reconciled = true;
            notifier.Publish(new HostReconciled(e.Id));
        }
    }

    // ---- what pages, commands and the router ask ----

    /// <summary>Every host, the primary first, then by name.</summary>
    public IReadOnlyList<HostConnectionInfo> All =>
        _hosts.Values.Select(Info).OrderBy(h => h.IsPrimary ? 0 : 1).ThenBy(h => h.Name, StringComparer.OrdinalIgnoreCase).ToList();

    public HostConnectionInfo? Find(Guid hostId) => _hosts.TryGetValue(hostId, out var e) ? Info(e) : null;

    /// <summary>The host of a VM row; a row without a host (from before hosts were recorded) is the primary's.</summary>
    public HostConnectionInfo? HostOfVm(Guid? hostId) => (hostId ?? _primaryId) is { } id ? Find(id) : null;

    /// <summary>The connected hosts with their connections, the primary first.</summary>
    public IReadOnlyList<(HostConnectionInfo Host, IHypervisor Connection)> Connected()
    {
        var list = new List<(HostConnectionInfo, IHypervisor)>();
        foreach (var e in _hosts.Values)
            lock (e.Gate)
                if (e.Connection is { } c) list.Add((Info(e), c));
        return list.OrderBy(x => x.Item1.IsPrimary ? 0 : 1).ThenBy(x => x.Item1.Name, StringComparer.OrdinalIgnoreCase).ToList();
    }

    /// <summary>The host's live connection; <see cref="HostNotConnectedException"/> when it has none.</summary>
    public IHypervisor ConnectionOf(Guid hostId)
    {
        if (!_hosts.TryGetValue(hostId, out var e))
            throw new HostNotConnectedException(hostId, $"The host {hostId} is not managed by the portal (it may have been removed)");
        lock (e.Gate)
            return e.Connection ?? throw new HostNotConnectedException(hostId, HostConnectionInfo.NotConnected(e.Name, e.Error));
    }

    /// <summary>The configured host's connection: storage domains are its pools.</summary>
    public IHypervisor PrimaryConnection()
    {
        if (_primaryId is { } id) return ConnectionOf(id);
        lock (_primaryGate)
            return _openedPrimary ?? throw new InvalidOperationException("The configured host has not been opened yet (PortalStartup opens it first).");
    }

    /// <summary>The connection of the host that holds <paramref name="domainId"/>; the primary's for a domain no host holds yet.</summary>
    public async Task<IHypervisor> ForDomainAsync(Guid domainId, CancellationToken ct = default) =>
        await HostOfDomainAsync(domainId, ct) is { } hostId ? ConnectionOf(hostId) : PrimaryConnection();

    /// <summary>
    /// Which host holds the domain: as last listed or heard from, else as its VM row says, else (a domain no host
    /// holds yet) the primary.
    /// </summary>
    public async Task<Guid?> HostOfDomainAsync(Guid domainId, CancellationToken ct = default)
    {
        if (_placement.TryGetValue(domainId, out var placed)) return placed;
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var row = await db.Vms.AsNoTracking().Where(v => v.Id == domainId).Select(v => new { v.HostId }).FirstOrDefaultAsync(ct);
        if (row?.HostId is { } hostId && _hosts.ContainsKey(hostId))
        {
            _placement.TryAdd(domainId, hostId);
            return hostId;
        }
        return _primaryId;
    }

    /// <summary>Records that the domain lives on the host: the inventory after listing it, a command before it defines a new domain there.</summary>
    public void Place(Guid domainId, Guid hostId) => _placement[domainId] = hostId;

    // ---- adding and removing ----

    /// <summary>
    /// Starts managing a host whose row was just added, and waits for its first connection attempt, at most
    /// <see cref="HostConnectionOptions.ConnectTimeout"/> (libvirt goes on trying in the background).
    /// </summary>
    public async Task<HostConnectionInfo> AddAsync(Host host)
    {
        var e = _hosts.GetOrAdd(host.Id, _ => new Entry(host.Id, host.Name, host.Uri, host.Uri == portal.LibvirtUri, Now));
        await ConnectWithTimeoutAsync(e);
        return Info(e);
    }

    /// <summary>Stops managing the host: its connection is closed and its events stop. Nothing on the host changes.</summary>
    public void Remove(Guid hostId)
    {
        if (!_hosts.TryRemove(hostId, out var e)) return;
        IHypervisor? connection;
        lock (e.Gate)
        {
            e.Removed = true;
            connection = e.Connection;
            e.Connection = null;
        }
        if (connection is not null) Detach(e, connection);
        foreach (var p in _placement.Where(p => p.Value == hostId)) _placement.TryRemove(p);
        LogRemoved(log, e.Name, e.Uri);
    }

    // ---- connecting ----

    private async Task ConnectWithTimeoutAsync(Entry e)
    {
        var attempt = StartConnecting(e);
        try { await attempt.WaitAsync(O.ConnectTimeout); }
        catch (TimeoutException)
        {
            SetDisconnected(e, $"no answer from {e.Uri} within {O.ConnectTimeout.TotalSeconds:0.#} s; the portal keeps trying");
        }
    }

    private Task StartConnecting(Entry e)
    {
        lock (e.Gate)
        {
            if (e.Removed || e.Connection is not null) return Task.CompletedTask;
            if (e.Opening is { IsCompleted: false } running) return running;
            return e.Opening = OpenAsync(e);
        }
    }

    private async Task OpenAsync(Entry e)
    {
        IHypervisor connection;
        try
        {
            // libvirt blocks until the host answers or refuses (minutes for one that drops packets): a thread of its
            // own, never a thread-pool or circuit thread.
            connection = await Task.Factory.StartNew(() => open(e.Uri), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        }
        catch (Exception ex)
        {
            Failed(e, ex is HypervisorException h ? h.LibvirtMessage : ex.Message);
            return;
        }
        Opened(e, connection, publish: true);
    }

    // Each change is published while the host's lock is held, so that its subscribers hear one host's changes in the
    // order they happened (a Disconnected overtaken by the Connected of a quick reconnect would leave its VMs Not
    // responding). Subscribers only hand work off (PortalNotifier), so the lock is not held for long.

    private void Opened(Entry e, IHypervisor connection, bool publish)
    {
        lock (e.Gate)
        {
            if (e.Removed || e.Connection is not null)
            {
                DisposeLater(connection);
                return;
            }
            e.OnEvent = ev =>
            {
                // Only a first sighting: the inventory's listing decides when two hosts report the same domain.
                _placement.TryAdd(ev.DomainId, e.Id);
                LifecycleEvent?.Invoke(ev with { HostId = e.Id });
            };
            var closedBy = new ClosedReason();
            e.OnClosed = reason =>
            {
                // Kept at once, on libvirt's thread: the alive check may see the dead connection before Lost runs,
                // and then reports libvirt's reason too, not only that the connection is gone.
                closedBy.Reason = reason;
                _ = Task.Run(() => Lost(e, connection, reason));
            };
            e.ClosedBy = closedBy;
            connection.LifecycleEvent += e.OnEvent;
            connection.ConnectionClosed += e.OnClosed;
            e.Connection = connection;
            e.State = HostState.Connected;
            e.Reconciled = false;
            e.Error = null;
            e.Since = Now;
            e.Failures = 0;
            LogConnected(log, e.Name, e.Uri);
            if (publish) notifier.Publish(Changed(e));
        }
    }

    private void Failed(Entry e, string error)
    {
        lock (e.Gate)
        {
            if (e.Removed || e.Connection is not null) return;
            var failures = ++e.Failures;
            e.NextAttempt = Now + Backoff(failures);
            // Said once per reason; the retries of a host that stays away are only worth a debug line each.
            if (ToDisconnected(e, error)) LogConnectFailed(log, e.Name, e.Uri, error);
            else LogStillUnreachable(log, e.Name, failures);
        }
    }

    private void SetDisconnected(Entry e, string error)
    {
        lock (e.Gate)
            if (!e.Removed && e.Connection is null) ToDisconnected(e, error);
    }

    /// <summary>A host already Disconnected stays so through its retries; only a new error is news (and published).</summary>
    private bool ToDisconnected(Entry e, string error)
    {
        if (e.State == HostState.Disconnected && e.Error == error) return false;
        if (e.State != HostState.Disconnected) e.Since = Now;
        e.State = HostState.Disconnected;
        e.Error = error;
        notifier.Publish(Changed(e));
        return true;
    }

    private TimeSpan Backoff(int failures)
    {
        var ticks = O.RetryMin.Ticks * Math.Pow(2, Math.Min(failures - 1, 30));
        return TimeSpan.FromTicks((long)Math.Min(ticks, O.RetryMax.Ticks));
    }

    /// <summary>The connection went away under a connected host: closed by libvirt, or no longer alive.</summary>
    private void Lost(Entry e, IHypervisor connection, string reason)
    {
        lock (e.Gate)
        {
            if (e.Removed || !ReferenceEquals(e.Connection, connection)) return;
            e.Connection = null;
            e.State = HostState.Disconnected;
            e.Reconciled = false;
            e.Error = reason;
            e.Since = Now;
            e.Failures = 0;
            e.NextAttempt = Now; // libvirtd restarted, the network came back: try at the next check
            LogLost(log, e.Name, e.Uri, reason);
            notifier.Publish(Changed(e));
        }
        Detach(e, connection);
    }

    private void Detach(Entry e, IHypervisor connection)
    {
        if (e.OnEvent is { } onEvent) connection.LifecycleEvent -= onEvent;
        if (e.OnClosed is { } onClosed) connection.ConnectionClosed -= onClosed;
        DisposeLater(connection);
    }

    // Closing talks to the host (deregistering events); a dead one may take a while to say so.
    private void DisposeLater(IHypervisor connection) => _ = Task.Run(() => DisposeQuietly(connection));

    private void DisposeQuietly(IHypervisor connection)
    {
        try { (connection as IDisposable)?.Dispose(); }
        catch (Exception ex) { LogCloseFailed(log, connection.Uri, ex); }
    }

    // ---- the watch ----

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(O.CheckInterval, clock);
        try
        {
            do await CheckAsync(stoppingToken);
            while (await timer.WaitForNextTickAsync(stoppingToken));
        }
        catch (OperationCanceledException) { }
    }

    /// <summary>One round: is every connection alive, and is it time to try a disconnected host again.</summary>
    private async Task CheckAsync(CancellationToken ct)
    {
        foreach (var e in _hosts.Values)
        {
            IHypervisor? connection;
            ClosedReason? closedBy;
            bool due;
            lock (e.Gate)
            {
                connection = e.Connection;
                closedBy = e.ClosedBy;
                due = connection is null && !e.Removed && e.Opening is not { IsCompleted: false } && Now >= e.NextAttempt;
            }
            if (connection is not null) await CheckAliveAsync(e, connection, closedBy, ct);
            else if (due) _ = ConnectWithTimeoutAsync(e);
        }
    }

    private async Task CheckAliveAsync(Entry e, IHypervisor connection, ClosedReason? closedBy, CancellationToken ct)
    {
        try
        {
            if (await connection.IsAliveAsync(ct).WaitAsync(O.ConnectTimeout, ct)) return;
            Lost(e, connection, closedBy?.Reason ?? "the connection to the host is no longer alive");
        }
        catch (TimeoutException)
        {
            // A long call (a memory dump) may hold the connection: slow is not gone. Keepalive closes a dead one.
            LogSlowCheck(log, e.Name);
        }
        catch (HypervisorException ex) { Lost(e, connection, ex.LibvirtMessage); }
    }

    public override void Dispose()
    {
        base.Dispose();
        foreach (var e in _hosts.Values)
        {
            IHypervisor? connection;
            lock (e.Gate)
            {
                e.Removed = true;
                connection = e.Connection;
                e.Connection = null;
            }
            if (connection is not null) DisposeQuietly(connection);
        }
        lock (_primaryGate)
        {
            if (_openedPrimary is { } primary) DisposeQuietly(primary);
            _openedPrimary = null;
        }
    }

    private static HostConnectionInfo Info(Entry e)
    {
        lock (e.Gate) return new(e.Id, e.Name, e.Uri, e.IsPrimary, e.State, e.Error, e.Since, e.Reconciled);
    }

    private static HostStateChanged Changed(Entry e) => new(e.Id, e.Name, e.State, e.Error, e.Since);

    /// <summary>One host's connection and its state; every field is read and written under <see cref="Gate"/>.</summary>
    private sealed class Entry(Guid id, string name, string uri, bool isPrimary, DateTime since)
    {
        public readonly Lock Gate = new();
        public Guid Id { get; } = id;
        public string Name { get; } = name;
        public string Uri { get; } = uri;
        public bool IsPrimary { get; } = isPrimary;
        public HostState State { get; set; } = HostState.Connecting;
        public string? Error { get; set; }
        public DateTime Since { get; set; } = since;
        public IHypervisor? Connection { get; set; }
        public bool Reconciled { get; set; }
        public Task? Opening { get; set; }
        public int Failures { get; set; }
        public DateTime NextAttempt { get; set; }
        public bool Removed { get; set; }
        public Action<DomainLifecycleEvent>? OnEvent { get; set; }
        public Action<string>? OnClosed { get; set; }
        public ClosedReason? ClosedBy { get; set; }
    }

    /// <summary>What libvirt's close callback said about one connection, written on libvirt's thread without a lock.</summary>
    private sealed class ClosedReason
    {
        private volatile string? _reason;
        public string? Reason { get => _reason; set => _reason = value; }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Host {Host} ({Uri}) connected")]
    private static partial void LogConnected(ILogger log, string host, string uri);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Host {Host} ({Uri}) cannot be reached: {Error}")]
    private static partial void LogConnectFailed(ILogger log, string host, string uri, string error);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Host {Host} still cannot be reached (attempt {Attempt})")]
    private static partial void LogStillUnreachable(ILogger log, string host, int attempt);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Host {Host} ({Uri}) lost its connection: {Reason}")]
    private static partial void LogLost(ILogger log, string host, string uri, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Host {Host} ({Uri}) is no longer managed; its connection is closed")]
    private static partial void LogRemoved(ILogger log, string host, string uri);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Host {Host} did not answer the alive check in time; checked again next round")]
    private static partial void LogSlowCheck(ILogger log, string host);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Closing the connection to {Uri} failed")]
    private static partial void LogCloseFailed(ILogger log, string uri, Exception ex);
}
