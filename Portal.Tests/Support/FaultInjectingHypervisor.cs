using System.Collections.Concurrent;
using Portal.Core.Hypervisor;

namespace Portal.Tests.Support;

/// <summary>
/// Fault injection only: delegates every call to the real libvirt-backed <see cref="IHypervisor"/> and, when armed,
/// runs something first at one chosen call of one method (throw libvirt's kind of error, take the VM down, hold the
/// call until the test lets it go). It also remembers every volume the portal asked for, so a test can ask libvirt
/// whether any of them was left behind.
/// </summary>
public sealed class FaultInjectingHypervisor(IHypervisor inner) : IHypervisor, IDisposable
{
    public const string InjectedMessage = "injected fault";

    private sealed record Hook(string Method, Guid? VmId, int CallNumber, Func<Task> Action);

    private readonly ConcurrentDictionary<string, int> _calls = new();
    private readonly List<Hook> _hooks = [];
    private readonly Lock _gate = new();
    private readonly ConcurrentDictionary<(string Pool, string Name), byte> _createdVolumes = new();

    public IHypervisor Inner => inner;

    /// <summary>Every (pool, volume) the portal created through this hypervisor, whether or not it still exists.</summary>
    public IReadOnlyCollection<(string Pool, string Name)> CreatedVolumes => _createdVolumes.Keys.ToList();

    /// <summary>The <paramref name="nth"/> call of <paramref name="method"/> from now on (for <paramref name="vmId"/> when given) fails as libvirt would.</summary>
    public void FailOn(string method, int nth = 1, Guid? vmId = null) =>
        Before(method, () => throw new HypervisorException($"{method} (test)", $"{InjectedMessage} in {method}"), nth, vmId);

    /// <summary>Runs <paramref name="action"/> just before the <paramref name="nth"/> call of <paramref name="method"/> reaches libvirt.</summary>
    public void Before(string method, Func<Task> action, int nth = 1, Guid? vmId = null)
    {
        lock (_gate)
        {
            var key = Key(method, vmId);
            _hooks.Add(new Hook(method, vmId, _calls.GetValueOrDefault(key) + nth, action));
        }
    }

    /// <summary>Makes the VM really go down (destroyed by "another client") just before the next call of <paramref name="method"/> for it.</summary>
    public void GoDownBefore(string method, Guid vmId) => Before(method, () => inner.DestroyAsync(vmId), 1, vmId);

    /// <summary>Holds the next call of <paramref name="method"/> until the returned gate is opened; <c>Reached</c> completes when the call arrives.</summary>
    public (Task Reached, TaskCompletionSource Release) HoldOn(string method, Guid? vmId = null)
    {
        var reached = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Before(method, async () =>
        {
            reached.TrySetResult();
            await release.Task;
        }, 1, vmId);
        return (reached.Task, release);
    }

    /// <summary>libvirt's message for a call on a connection whose daemon died.</summary>
    public const string ConnectionClosedMessage = "internal error: client socket is closed";

    private volatile bool _offline;

    /// <summary>True while the host is "gone": every call fails as on a connection whose libvirtd was killed.</summary>
    public bool IsOffline => _offline;

    /// <summary>The host dies during the <paramref name="nth"/> call of <paramref name="method"/>: that call and every later one fail until <see cref="ComeBack"/>.</summary>
    public void DieDuring(string method, int nth = 1, Guid? vmId = null, Func<Task>? whileDying = null) =>
        Before(method, async () =>
        {
            if (whileDying is not null) await whileDying();
            _offline = true;
            throw new HypervisorException($"{method} (test)", "End of file while reading data: Input/output error");
        }, nth, vmId);

    /// <summary>The host answers again (libvirtd restarted).</summary>
    public void ComeBack() => _offline = false;

    /// <summary>How many calls of <paramref name="method"/> (for <paramref name="vmId"/> when given) reached this hypervisor so far.</summary>
    public int Calls(string method, Guid? vmId = null) => _calls.GetValueOrDefault(Key(method, vmId));

    private static string Key(string method, Guid? vmId) => vmId is { } id ? $"{method}/{id}" : method;

    private volatile string? _dropped;
    private Action<string>? _closed;

    /// <summary>
    /// The connection is gone, as when the host's libvirtd stops or the network fails: from now on every call fails
    /// with <paramref name="reason"/> and <see cref="IsAliveAsync"/> says false. With <paramref name="closedByLibvirt"/>
    /// libvirt's close callback reports it at once; without, only the portal's periodic alive check notices.
    /// </summary>
    public void Drop(string reason = "Cannot recv data: Connection reset by peer", bool closedByLibvirt = true)
    {
        // libvirt's close callback first, as a real connection reports it: the host watch's liveness check that sees
        // the dropped connection before the portal has handled the close then reports libvirt's reason too.
        if (closedByLibvirt) _closed?.Invoke(reason);
        _dropped = reason;
    }

    private async Task Intercept(string method, Guid? vmId = null)
    {
        if (_offline) throw new HypervisorException($"{method} (test)", ConnectionClosedMessage);
        if (_dropped is { } reason) throw new HypervisorException($"{method} (test)", reason);
        var due = new List<Hook>();
        lock (_gate)
        {
            var all = _calls.AddOrUpdate(method, 1, (_, n) => n + 1);
            var forVm = vmId is { } id ? _calls.AddOrUpdate(Key(method, id), 1, (_, n) => n + 1) : 0;
            foreach (var h in _hooks.Where(h => h.Method == method && h.CallNumber == (h.VmId is null ? all : h.VmId == vmId ? forVm : -1)).ToList())
            {
                _hooks.Remove(h);
                due.Add(h);
            }
        }
        foreach (var h in due) await h.Action();
    }

    public string Uri => inner.Uri;
    public bool IsTestDriver => !PosesAsRealHost && inner.IsTestDriver;

    /// <summary>
    /// The test driver's connection says it is a real host's, so that the portal goes where it would go for one (the
    /// VNC proxy connects to the port in the live XML, a local server standing in for QEMU's). Set it after start-up:
    /// what start-up seeds depends on the answer.
    /// </summary>
    /// <remarks>Default: false.</remarks>
    public bool PosesAsRealHost { get; set; }

    public event Action<DomainLifecycleEvent>? LifecycleEvent
    {
        add => inner.LifecycleEvent += value;
        remove => inner.LifecycleEvent -= value;
    }

    public event Action<string>? ConnectionClosed
    {
        add
        {
            inner.ConnectionClosed += value;
            _closed += value;
        }
        remove
        {
            inner.ConnectionClosed -= value;
            _closed -= value;
        }
    }

    public async Task<bool> IsAliveAsync(CancellationToken ct = default)
    {
        if (_dropped is not null || _offline) return false;
        await Intercept(nameof(IsAliveAsync));
        return await inner.IsAliveAsync(ct);
    }
    public async Task<IReadOnlyList<DomainInfo>> ListDomainsAsync(CancellationToken ct = default)
    {
        await Intercept(nameof(ListDomainsAsync));
        var domains = await inner.ListDomainsAsync(ct);
        // Hooks on AfterListDomains run once libvirt has answered, before the caller sees the (by then maybe stale) list.
        await Intercept(AfterListDomains);
        return domains;
    }

    /// <summary>A pseudo-method for <see cref="Before"/> and <see cref="HoldOn"/>: just after ListDomainsAsync got its answer.</summary>
    public const string AfterListDomains = "ListDomainsAsync:after";
    public async Task<DomainInfo?> FindDomainAsync(Guid id, CancellationToken ct = default) { await Intercept(nameof(FindDomainAsync), id); return await inner.FindDomainAsync(id, ct); }
    public async Task<string> GetDomainXmlAsync(Guid id, bool inactive, CancellationToken ct = default) { await Intercept(nameof(GetDomainXmlAsync), id); return await inner.GetDomainXmlAsync(id, inactive, ct); }
    public async Task<IConsoleStream> OpenSerialConsoleAsync(Guid id, CancellationToken ct = default) { await Intercept(nameof(OpenSerialConsoleAsync), id); return await inner.OpenSerialConsoleAsync(id, ct); }
    public async Task<DomainInfo> DefineDomainAsync(string xml, CancellationToken ct = default) { await Intercept(nameof(DefineDomainAsync)); return await inner.DefineDomainAsync(xml, ct); }
    public async Task UndefineDomainAsync(Guid id, CancellationToken ct = default) { await Intercept(nameof(UndefineDomainAsync), id); await inner.UndefineDomainAsync(id, ct); }
    public async Task StartAsync(Guid id, CancellationToken ct = default) { await Intercept(nameof(StartAsync), id); await inner.StartAsync(id, ct); }
    public async Task DestroyAsync(Guid id, CancellationToken ct = default) { await Intercept(nameof(DestroyAsync), id); await inner.DestroyAsync(id, ct); }
    public async Task ShutdownAsync(Guid id, CancellationToken ct = default) { await Intercept(nameof(ShutdownAsync), id); await inner.ShutdownAsync(id, ct); }
    public async Task SuspendAsync(Guid id, CancellationToken ct = default) { await Intercept(nameof(SuspendAsync), id); await inner.SuspendAsync(id, ct); }
    public async Task ResumeAsync(Guid id, CancellationToken ct = default) { await Intercept(nameof(ResumeAsync), id); await inner.ResumeAsync(id, ct); }
    public async Task<SnapshotTaken> CreateSnapshotAsync(Guid id, SnapshotRequest request, CancellationToken ct = default) { await Intercept(nameof(CreateSnapshotAsync), id); return await inner.CreateSnapshotAsync(id, request, ct); }
    public async Task DeleteSnapshotAsync(Guid id, string name, CancellationToken ct = default) { await Intercept(nameof(DeleteSnapshotAsync), id); await inner.DeleteSnapshotAsync(id, name, ct); }
    public async Task<IReadOnlyList<string>> ListSnapshotNamesAsync(Guid id, CancellationToken ct = default) { await Intercept(nameof(ListSnapshotNamesAsync), id); return await inner.ListSnapshotNamesAsync(id, ct); }
    public async Task WaitForJobAsync(Guid id, CancellationToken ct = default) { await Intercept(nameof(WaitForJobAsync), id); await inner.WaitForJobAsync(id, ct); }
    public async Task<string?> GetSnapshotXmlAsync(Guid id, string name, CancellationToken ct = default) { await Intercept(nameof(GetSnapshotXmlAsync), id); return await inner.GetSnapshotXmlAsync(id, name, ct); }
    public async Task RestoreFromMemoryAsync(Guid id, MemoryRestoreRequest request, CancellationToken ct = default) { await Intercept(nameof(RestoreFromMemoryAsync), id); await inner.RestoreFromMemoryAsync(id, request, ct); }
    public async Task RedefineSnapshotAsync(Guid id, string snapshotXml, CancellationToken ct = default) { await Intercept(nameof(RedefineSnapshotAsync), id); await inner.RedefineSnapshotAsync(id, snapshotXml, ct); }
    public async Task<string> WithFreshOverlaysAsync(string configurationXml, string tag, CancellationToken ct = default) { await Intercept(nameof(WithFreshOverlaysAsync)); return await inner.WithFreshOverlaysAsync(configurationXml, tag, ct); }

    public async Task<VolumeRef> CopyVolumeAsync(string sourcePool, string sourceName, string targetPool, string targetName, long preallocateBytes,
        VolumeFormat format = VolumeFormat.Raw, CancellationToken ct = default)
    {
        await Intercept(nameof(CopyVolumeAsync));
        var made = await inner.CopyVolumeAsync(sourcePool, sourceName, targetPool, targetName, preallocateBytes, format, ct);
        _createdVolumes[(targetPool, made.Name)] = 0;
        return made;
    }

    public async Task<IReadOnlyList<string>> DeleteUnusedOverlaysAsync(IReadOnlyCollection<string> candidates, IReadOnlyCollection<string> inUse, CancellationToken ct = default)
    {
        await Intercept(nameof(DeleteUnusedOverlaysAsync));
        return await inner.DeleteUnusedOverlaysAsync(candidates, inUse, ct);
    }

    public async Task<PoolInfo> GetPoolAsync(string pool, CancellationToken ct = default) { await Intercept(nameof(GetPoolAsync)); return await inner.GetPoolAsync(pool, ct); }
    public async Task<IReadOnlyList<PoolInfo>> ListPoolsAsync(CancellationToken ct = default) { await Intercept(nameof(ListPoolsAsync)); return await inner.ListPoolsAsync(ct); }
    public async Task<PoolInfo> CreatePoolAsync(string poolXml, bool overwrite, CancellationToken ct = default) { await Intercept(nameof(CreatePoolAsync)); return await inner.CreatePoolAsync(poolXml, overwrite, ct); }
    public async Task RemovePoolAsync(string pool, CancellationToken ct = default) { await Intercept(nameof(RemovePoolAsync)); await inner.RemovePoolAsync(pool, ct); }
    public async Task StartPoolAsync(string pool, CancellationToken ct = default) { await Intercept(nameof(StartPoolAsync)); await inner.StartPoolAsync(pool, ct); }
    public async Task<bool> DeleteVolumeAsync(string pool, string name, CancellationToken ct = default) { await Intercept(nameof(DeleteVolumeAsync)); return await inner.DeleteVolumeAsync(pool, name, ct); }
    public async Task<IReadOnlyList<string>> ListVolumeNamesAsync(string pool, CancellationToken ct = default) { await Intercept(nameof(ListVolumeNamesAsync)); return await inner.ListVolumeNamesAsync(pool, ct); }
    public async Task<string?> FindVolumePathAsync(string pool, string name, CancellationToken ct = default) { await Intercept(nameof(FindVolumePathAsync)); return await inner.FindVolumePathAsync(pool, name, ct); }
    public async Task<PoolFileRead?> ReadPoolFileAsync(string path, long offset, int maxBytes, CancellationToken ct = default) { await Intercept(nameof(ReadPoolFileAsync)); return await inner.ReadPoolFileAsync(path, offset, maxBytes, ct); }
    public async Task<IReadOnlyList<DiskImage>> GetDiskImagesAsync(string configurationXml, CancellationToken ct = default) { await Intercept(nameof(GetDiskImagesAsync)); return await inner.GetDiskImagesAsync(configurationXml, ct); }

    public async Task<VolumeRef> CreateVolumeAsync(string pool, string name, long bytes, bool preallocate, CancellationToken ct = default)
    {
        await Intercept(nameof(CreateVolumeAsync));
        var made = await inner.CreateVolumeAsync(pool, name, bytes, preallocate, ct);
        _createdVolumes.TryAdd((pool, made.Name), 0);
        return made;
    }

    public void Dispose() => (inner as IDisposable)?.Dispose();
}
