using System.Collections.Concurrent;

namespace Portal.Core.Vms;

/// <summary>
/// One operation per VM at a time, after oVirt's exclusive VM lock. A second caller is refused at once and told
/// which operation holds the VM; background processing may wait instead.
/// </summary>
public sealed class VmLocks
{
    private readonly ConcurrentDictionary<Guid, string> _held = new();

    public IDisposable? TryAcquire(Guid vmId, string operation, out string? heldBy)
    {
        if (_held.TryAdd(vmId, operation))
        {
            heldBy = null;
            return new Releaser(this, vmId);
        }
        heldBy = _held.TryGetValue(vmId, out var h) ? h : "another operation";
        return null;
    }

    public async Task<IDisposable> AcquireAsync(Guid vmId, string operation, CancellationToken ct)
    {
        while (true)
        {
            var l = TryAcquire(vmId, operation, out _);
            if (l is not null) return l;
            await Task.Delay(25, ct);
        }
    }

    public string? HeldBy(Guid vmId) => _held.TryGetValue(vmId, out var h) ? h : null;

    private sealed class Releaser(VmLocks owner, Guid vmId) : IDisposable
    {
        private int _disposed;
        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0) owner._held.TryRemove(vmId, out _);
        }
    }
}
