namespace Portal.Core.Vms;

/// <summary>
/// Who is looking at each VM's graphical console, and who may use it: one operator at a time controls the screen
/// (the first to open it; when they leave, the earliest of the others), the others get a read-only view naming them.
/// The portal's VNC proxy asks <see cref="IsWriter"/> for every message; the page shows <see cref="RoleOf"/>.
/// </summary>
public sealed class VncViewers
{
    private readonly Lock _gate = new();
    private readonly Dictionary<Guid, List<Viewer>> _byVm = [];

    /// <summary>Raised (outside the lock) with the VM whose viewers changed.</summary>
    public event Action<Guid>? Changed;

    private sealed record Viewer(Guid Id, string UserName);

    /// <summary>What a viewer of a VM's screen may do: control it, or watch while <see cref="WriterName"/> does.</summary>
    public sealed record Role(bool IsWriter, string WriterName);

    /// <summary>
    /// Registers a viewer of <paramref name="vmId"/>'s screen under <paramref name="viewerId"/> (the page's own id, so
    /// that it can show its role; a new one when that id is taken). Disposing the result ends the viewing.
    /// </summary>
    public IDisposable Join(Guid vmId, Guid viewerId, string userName, out Guid id)
    {
        lock (_gate)
        {
            var viewers = _byVm.TryGetValue(vmId, out var list) ? list : _byVm[vmId] = [];
            if (viewerId == Guid.Empty || _byVm.Values.Any(l => l.Any(v => v.Id == viewerId))) viewerId = Guid.NewGuid();
            viewers.Add(new Viewer(viewerId, userName));
            id = viewerId;
        }
        Changed?.Invoke(vmId);
        return new Leaving(this, vmId, id);
    }

    /// <summary>Whether <paramref name="viewerId"/> controls <paramref name="vmId"/>'s screen now.</summary>
    public bool IsWriter(Guid vmId, Guid viewerId)
    {
        lock (_gate) return _byVm.TryGetValue(vmId, out var list) && list.Count > 0 && list[0].Id == viewerId;
    }

    /// <summary>The role of <paramref name="viewerId"/>, or null when it is not (or no longer) viewing.</summary>
    public Role? RoleOf(Guid vmId, Guid viewerId)
    {
        lock (_gate)
        {
            if (!_byVm.TryGetValue(vmId, out var list) || list.All(v => v.Id != viewerId)) return null;
            return new Role(list[0].Id == viewerId, list[0].UserName);
        }
    }

    private void Leave(Guid vmId, Guid viewerId)
    {
        lock (_gate)
        {
            if (!_byVm.TryGetValue(vmId, out var list)) return;
            list.RemoveAll(v => v.Id == viewerId);
            if (list.Count == 0) _byVm.Remove(vmId);
        }
        Changed?.Invoke(vmId);
    }

    private sealed class Leaving(VncViewers viewers, Guid vmId, Guid viewerId) : IDisposable
    {
        private int _done;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _done, 1) == 0) viewers.Leave(vmId, viewerId);
        }
    }
}
