namespace Portal.Core;

/// <summary>
/// What a page shows that is the same for everyone who opens it (the storage domains, the hosts), read once per change
/// for every open page instead of once per page and change: with tens of pages open and operations coming in bursts,
/// reading it per page spent more than the portal's cores (benchmarks/README.md, "Storage domains and Hosts pages
/// during a burst of operations").
/// </summary>
/// <remarks>
/// <see cref="MarkStale"/> records a change and raises <see cref="Changed"/>; the next <see cref="CurrentAsync"/>
/// reads again, and every caller meanwhile shares that read. Reads start at least <see cref="SharedView.MinInterval"/>
/// apart, so a burst of changes is folded into the read after it and a page is never more than that interval and one
/// read behind. A read that failed is not kept: the next caller tries again.
/// </remarks>
public sealed class SharedView<T>(Func<Task<T>> read, TimeProvider clock)
{
    private readonly Lock _gate = new();
    private long _version;
    private (long Version, DateTimeOffset Started, Task<T> Read)? _current;
    private DateTimeOffset _nextStart = DateTimeOffset.MinValue;

    /// <summary>Raised on the thread of <see cref="MarkStale"/>; hand work off, as for <see cref="Vms.PortalNotifier"/>.</summary>
    public event Action? Changed;

    public void MarkStale()
    {
        Interlocked.Increment(ref _version);
        if (Changed is not { } changed) return;
        // Every page is told even when one handler throws; the first failure is then thrown for the publisher to log.
        Exception? failed = null;
        foreach (var handler in changed.GetInvocationList().Cast<Action>())
        {
            try { handler(); }
            catch (Exception ex) { failed ??= ex; }
        }
        if (failed is not null) System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(failed);
    }

    /// <summary>The view as of the last change, shared with every caller until the next one.</summary>
    public Task<T> CurrentAsync(CancellationToken ct = default) => CurrentAsync(null, ct);

    /// <summary>
    /// The view as of the last change, or read again when the last read began more than <paramref name="maxAge"/> ago:
    /// for a page being opened, which should show what changed without an event (files copied onto an export domain, a
    /// pool filled by something else on the host). The pages already open are not told.
    /// </summary>
    public Task<T> CurrentAsync(TimeSpan? maxAge, CancellationToken ct = default)
    {
        Task<T> current;
        lock (_gate)
        {
            var version = Interlocked.Read(ref _version);
            if (_current is not { } c || c.Version != version || c.Read.IsFaulted || c.Read.IsCanceled
                || (maxAge is { } age && c.Read.IsCompleted && clock.GetUtcNow() - c.Started > age))
            {
                var now = clock.GetUtcNow();
                var start = now > _nextStart ? now : _nextStart;
                _nextStart = start + SharedView.MinInterval;
                // On the thread pool: not on the first caller's circuit, whose dispatcher would otherwise run the
                // read (libvirt calls, OVF files) for every page.
                var wait = start - now;
                _current = (version, start, Task.Run(() => ReadAsync(wait)));
            }
            current = _current.Value.Read;
        }
        return current.WaitAsync(ct);
    }

    // Shared by every caller, so no one caller's cancellation stops it.
    private async Task<T> ReadAsync(TimeSpan wait)
    {
        if (wait > TimeSpan.Zero) await Task.Delay(wait, clock);
        return await read();
    }
}

public static class SharedView
{
    /// <summary>The shortest time between the starts of two reads of a <see cref="SharedView{T}"/>.</summary>
    public static readonly TimeSpan MinInterval = TimeSpan.FromMilliseconds(500);
}

/// <summary>
/// A <see cref="SharedView{T}"/> of what a page shows, made stale by the portal events <see cref="IsStaleAfter"/> picks:
/// one read per change for every open page (the Storage domains and Hosts pages).
/// </summary>
public abstract class PortalOverview<T> : IDisposable
{
    private readonly SharedView<T> _view;
    private readonly IDisposable _subscription;

    protected PortalOverview(Vms.PortalNotifier notifier, TimeProvider clock)
    {
        _view = new SharedView<T>(ReadAsync, clock);
        _subscription = notifier.Subscribe(e =>
        {
            if (IsStaleAfter(e)) _view.MarkStale();
        });
    }

    /// <summary>Whether what the page shows may have changed with this event.</summary>
    protected abstract bool IsStaleAfter(Vms.PortalEvent e);

    /// <summary>Reads what the page shows.</summary>
    protected abstract Task<T> ReadAsync();

    /// <summary>A change found without an event: every open page is told, and the next caller reads again.</summary>
    protected void MarkStale() => _view.MarkStale();

    /// <inheritdoc cref="SharedView{T}.Changed"/>
    public event Action? Changed
    {
        add => _view.Changed += value;
        remove => _view.Changed -= value;
    }

    /// <inheritdoc cref="SharedView{T}.CurrentAsync(CancellationToken)"/>
    public Task<T> CurrentAsync(CancellationToken ct = default) => _view.CurrentAsync(ct);

    /// <inheritdoc cref="SharedView{T}.CurrentAsync(TimeSpan?, CancellationToken)"/>
    public Task<T> CurrentAsync(TimeSpan? maxAge, CancellationToken ct = default) => _view.CurrentAsync(maxAge, ct);

    public void Dispose()
    {
        _subscription.Dispose();
        GC.SuppressFinalize(this);
    }
}
