using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Xml.Linq;
using Microsoft.Extensions.Logging;
using Portal.Core.Hypervisor;

namespace Portal.Core.Libvirt;

/// <summary>
/// <see cref="IHypervisor"/> over one long-lived libvirt connection. The test driver keeps its whole state in
/// that connection, so the portal must never open a second one to the same URI.
/// </summary>
public sealed unsafe partial class LibvirtHypervisor : IHypervisor, IDisposable
{
    // virDomainXMLFlags
    private const uint XmlSecure = 1, XmlInactive = 2;
    // virDomainSnapshotRevertFlags: PAUSED leaves the reverted domain paused, so RestoringState is real.
    private const uint RevertPaused = 2, RevertForce = 4;
    // virDomainSaveRestoreFlags: PAUSED starts the restored domain paused.
    private const uint RestorePaused = 4;
    // virDomainSnapshotDeleteFlags: METADATA_ONLY keeps files; memory volumes are the portal's to remove.
    private const uint SnapshotDeleteMetadataOnly = 2;
    // virDomainUndefineFlags: also drop snapshot metadata, else libvirt refuses a domain that has snapshots; and its UEFI
    // variables' file, else libvirt refuses a UEFI domain that has run ("cannot undefine domain with nvram").
    private const uint UndefineSnapshotsMetadata = 2, UndefineNvram = 4;
    private const int LifecycleEventId = 0, PoolLifecycleEventId = 0;

    private readonly ConnectHandle _conn;
    private readonly int _callbackId;
    private readonly int _poolCallbackId;
    private readonly TestNodeStore? _store;
    private readonly bool _closeCallback;
    private readonly string _openUri;
    private readonly ILogger _log;

    public string Uri { get; }
    public bool IsTestDriver { get; }
    public event Action<DomainLifecycleEvent>? LifecycleEvent;
    public event Action<string>? ConnectionClosed;

    private LibvirtHypervisor(string uri, string openUri, ConnectHandle conn, KeepAlive? keepAlive, bool persist, ILogger log)
    {
        Uri = uri;
        _openUri = openUri;
        _conn = conn;
        _log = log;
        IsTestDriver = string.Equals(Interop.Borrowed(Interop.virConnectGetType(conn)), "TEST", StringComparison.OrdinalIgnoreCase);
        if (IsTestDriver && persist)
        {
            _store = TestNodeStore.For(uri);
            _store?.Adopt(conn);
        }
        // Each registration owns a handle to this object, freed by libvirt's freecb once libvirt has let go of the
        // callback (after deregistration, when no dispatch can still be running on the event thread), never before.
        var events = GCHandle.Alloc(this);
        _callbackId = Interop.virConnectDomainEventRegisterAny(conn, IntPtr.Zero, LifecycleEventId, &OnLifecycle, GCHandle.ToIntPtr(events), (IntPtr)(delegate* unmanaged[Cdecl]<IntPtr, void>)&FreeHandle);
        if (_callbackId < 0)
        {
            events.Free(); // refused: libvirt never took it
            LogNoEvents(_log, uri, LastError());
        }
        // Pool events only forget what the portal knows of a pool (PoolChanged); without them nothing is kept.
        var pools = GCHandle.Alloc(this);
        _poolCallbackId = Interop.virConnectStoragePoolEventRegisterAny(conn, IntPtr.Zero, PoolLifecycleEventId, &OnPoolLifecycle, GCHandle.ToIntPtr(pools), (IntPtr)(delegate* unmanaged[Cdecl]<IntPtr, void>)&FreeHandle);
        if (_poolCallbackId < 0) pools.Free();
        // The test driver lives in this process: nothing can close it from the other side, and it has neither call.
        if (IsTestDriver) return;
        // virConnectSetKeepAlive(interval, count): the client sends a keepalive every interval seconds and closes the
        // connection after count of them go unanswered, which raises the close callback with reason KEEPALIVE. 1 means
        // the daemon does not answer keepalives, so only a closed socket is noticed.
        if (keepAlive is { } k && Interop.virConnectSetKeepAlive(conn, Math.Max(1, (int)k.Interval.TotalSeconds), (uint)k.Count) is var rc and not 0)
            LogNoKeepAlive(_log, uri, rc > 0 ? "the daemon does not answer keepalive messages" : LastError());
        var closed = GCHandle.Alloc(this);
        _closeCallback = Interop.virConnectRegisterCloseCallback(conn, &OnClosed, GCHandle.ToIntPtr(closed), (IntPtr)(delegate* unmanaged[Cdecl]<IntPtr, void>)&FreeHandle) == 0;
        if (!_closeCallback)
        {
            closed.Free();
            LogNoCloseCallback(_log, uri, LastError());
        }
    }

    /// <summary>How often a remote connection is probed, and after how many unanswered probes libvirt closes it.</summary>
    public sealed record KeepAlive(TimeSpan Interval, int Count);

    /// <summary>
    /// Opens <paramref name="uri"/>; when it cannot be reached, throws with libvirt's own reason as
    /// <see cref="HypervisorException.LibvirtMessage"/> (the message names the URI). Blocks for as long as
    /// libvirt takes (a TCP connect to a host that does not answer can take minutes): call it off the caller's thread.
    /// </summary>
    /// <param name="keepAlive">Default: null, libvirt's own setting (no client keepalive). Ignored by the test driver.</param>
    /// <param name="persist">
    /// Default: false. For the portal's own embedded test-driver node: write its state back to the node file after every
    /// change (<see cref="TestNodeStore"/>), so a restart finds the host as it was left.
    /// </param>
    public static LibvirtHypervisor Open(string uri, ILogger log, KeepAlive? keepAlive = null, bool persist = false)
    {
        LibvirtEventLoop.EnsureStarted();
        var openUri = WithoutPasswordPrompt(uri);
        var conn = Interop.virConnectOpen(openUri);
        if (conn.IsInvalid)
            throw new HypervisorException($"Connecting to {uri}", LastError());
        return new LibvirtHypervisor(uri, openUri, conn, keepAlive, persist, log);
    }

    /// <summary>
    /// libvirt's ssh transport runs the ssh command, which asks for a password on the portal's terminal and waits for
    /// ever when key authentication fails. The URI parameter no_tty=1 makes ssh fail instead, with its message.
    /// </summary>
    internal static string WithoutPasswordPrompt(string uri)
    {
        var scheme = uri.Split("://", 2)[0];
        if (!scheme.EndsWith("+ssh", StringComparison.OrdinalIgnoreCase) || uri.Contains("no_tty=", StringComparison.Ordinal)) return uri;
        return uri + (uri.Contains('?') ? "&" : "?") + "no_tty=1";
    }

    public void Dispose()
    {
        if (_callbackId >= 0) Interop.virConnectDomainEventDeregisterAny(_conn, _callbackId);
        if (_poolCallbackId >= 0) Interop.virConnectStoragePoolEventDeregisterAny(_conn, _poolCallbackId);
        // Unregistered first: closing the connection ourselves would otherwise report reason CLIENT.
        if (_closeCallback) Interop.virConnectUnregisterCloseCallback(_conn, &OnClosed);
        _conn.Dispose();
        lock (_jobGate) _jobConn?.Dispose();
    }

    internal static string LastError() => Interop.Borrowed(Interop.virGetLastErrorMessage()) ?? "unknown libvirt error";

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    internal static void IgnoreError(IntPtr userData, IntPtr error) { }

    /// <summary>libvirt's freecb: the callback's opaque handle is no longer used by libvirt.</summary>
    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static void FreeHandle(IntPtr opaque)
    {
        try { GCHandle.FromIntPtr(opaque).Free(); }
        catch (Exception ex) { Console.Error.WriteLine($"libvirt freecb failed: {ex.Message}"); }
    }

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static int OnLifecycle(IntPtr conn, IntPtr dom, int evt, int detail, IntPtr opaque)
    {
        try
        {
            if (GCHandle.FromIntPtr(opaque).Target is not LibvirtHypervisor self) return 0;
            var buf = stackalloc byte[40];
            Interop.virDomainGetUUIDStringRaw(dom, buf);
            var id = Guid.Parse(Marshal.PtrToStringUTF8((IntPtr)buf)!);
            var name = Interop.Borrowed(Interop.virDomainGetNameRaw(dom)) ?? "";
            self.LifecycleEvent?.Invoke(new DomainLifecycleEvent(id, name, (DomainEventKind)evt, detail, DateTimeOffset.UtcNow));
        }
        catch (Exception ex)
        {
            // An exception must never unwind into libvirt's C frames.
            Console.Error.WriteLine($"libvirt lifecycle handler failed: {ex}");
        }
        return 0;
    }

    /// <summary>A pool was defined, started, stopped or removed, by the portal or by any other client of the host.</summary>
    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static void OnPoolLifecycle(IntPtr conn, IntPtr pool, int evt, int detail, IntPtr opaque)
    {
        try
        {
            if (GCHandle.FromIntPtr(opaque).Target is LibvirtHypervisor self) self.PoolChanged();
        }
        catch (Exception ex)
        {
            Console.Error.WriteLine($"libvirt pool event handler failed: {ex}");
        }
    }

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static void OnClosed(IntPtr conn, int reason, IntPtr opaque)
    {
        try
        {
            if (GCHandle.FromIntPtr(opaque).Target is not LibvirtHypervisor self) return;
            // virConnectCloseReason
            var why = reason switch
            {
                1 => "the host closed the connection (end of file from the libvirt daemon)",
                2 => "the host stopped answering keepalive messages",
                3 => "the connection was closed by the portal",
                _ => "the connection to the host failed with an I/O error",
            };
            self.ConnectionClosed?.Invoke(why);
        }
        catch (Exception ex)
        {
            Console.Error.WriteLine($"libvirt close handler failed: {ex}");
        }
    }

    // ---- the blocking calls, always run off the caller's thread ----

    // Quick calls (lookups, XML, state) run on the thread pool. Calls that can block for a long time (a memory dump or a
    // restore of minutes, a volume copy, a define that re-probes QEMU for tens of seconds) get a thread of their own,
    // so a busy host never starves the pool that serves the portal's pages.
    private static Task<T> Native<T>(Func<T> call, CancellationToken ct) => Task.Run(call, ct);
    private static Task Native(Action call, CancellationToken ct) => Task.Run(call, ct);

    private static Task<T> Long<T>(Func<T> call, CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested();
        var done = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        new Thread(() =>
        {
            try { done.TrySetResult(call()); }
            catch (Exception ex) { done.TrySetException(ex); }
        }) { IsBackground = true, Name = "libvirt-call" }.Start();
        return done.Task;
    }

    private static Task Long(Action call, CancellationToken ct) => Long<bool>(() => { call(); return true; }, ct);

    /// <summary>After a change to a domain on the embedded host: write it back (see <see cref="TestNodeStore"/>).</summary>
    private void Persist(Guid id)
    {
        try { _store?.DomainChanged(_conn, id); }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or System.Xml.XmlException) { LogPersistFailed(_log, ex.Message); }
    }

    private void PersistPool(string pool)
    {
        try { _store?.PoolChanged(_conn, pool); }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or System.Xml.XmlException) { LogPersistFailed(_log, ex.Message); }
    }

    private static void Check(int rc, string operation)
    {
        if (rc < 0) throw new HypervisorException(operation, LastError());
    }

    private DomainHandle Domain(Guid id, string operation)
    {
        var d = Interop.virDomainLookupByUUIDString(_conn, id.ToString());
        if (d.IsInvalid) throw new HypervisorException(operation, LastError());
        return d;
    }

    private static DomainInfo Describe(DomainHandle d) => Describe(d, removedIsNull: false)!;

    private const int NoDomain = 42; // VIR_ERR_NO_DOMAIN

    private static DomainInfo? Describe(DomainHandle d, bool removedIsNull)
    {
        var name = Interop.Borrowed(Interop.virDomainGetName(d)) ?? "";
        if (Interop.virDomainGetState(d, out var state, out var reason, 0) < 0)
        {
            if (removedIsNull && Interop.virGetLastErrorCode() == NoDomain) return null;
            throw new HypervisorException($"Reading the state of {name}", LastError());
        }
        var buf = stackalloc byte[40];
        Interop.virDomainGetUUIDString(d, buf);
        return new DomainInfo(Guid.Parse(Marshal.PtrToStringUTF8((IntPtr)buf)!), name, (DomainRunState)state, reason);
    }

    public Task<bool> IsAliveAsync(CancellationToken ct = default) => Native(() => Interop.virConnectIsAlive(_conn) == 1, ct);

    /// <summary>
    /// Every domain with its state, in one call to the host: asked one domain at a time (a call each), libvirtd answered
    /// 5,000 domains in ~0.7 s, and a reconcile lists two or three times. A driver without that call (or a record
    /// without the state) is asked one domain at a time.
    /// </summary>
    public Task<IReadOnlyList<DomainInfo>> ListDomainsAsync(CancellationToken ct = default) => Native<IReadOnlyList<DomainInfo>>(() =>
        ListWithStates() ?? ListOneByOne(), ct);

    private const uint StatsState = 1; // VIR_DOMAIN_STATS_STATE

    private List<DomainInfo>? ListWithStates()
    {
        var n = Interop.virConnectGetAllDomainStats(_conn, StatsState, out var records, 0);
        if (n < 0) return null;
        try
        {
            var result = new List<DomainInfo>(n);
            var buf = stackalloc byte[40];
            for (var i = 0; i < n; i++)
            {
                // virDomainStatsRecord: the domain, its typed parameters and their count, all freed with the list.
                var record = Marshal.ReadIntPtr(records, i * IntPtr.Size);
                var dom = Marshal.ReadIntPtr(record);
                var pars = Marshal.ReadIntPtr(record, IntPtr.Size);
                var count = Marshal.ReadInt32(record, 2 * IntPtr.Size);
                if (Interop.virTypedParamsGetInt(pars, count, "state.state", out var state) != 1
                    || Interop.virTypedParamsGetInt(pars, count, "state.reason", out var reason) != 1) return null;
                Check(Interop.virDomainGetUUIDString(dom, buf), "Listing domains");
                result.Add(new DomainInfo(Guid.Parse(Marshal.PtrToStringUTF8((IntPtr)buf)!), Interop.Borrowed(Interop.virDomainGetName(dom)) ?? "",
                    (DomainRunState)state, reason));
            }
            return result;
        }
        finally { Interop.virDomainStatsRecordListFree(records); }
    }

    /// <summary>
    /// The list, then each domain's state in a call of its own. A domain removed between the two is left out, as if
    /// the list had come a moment later; it used to fail the whole list, and with it the reconcile.
    /// </summary>
    /// <param name="listed">Runs between the list and the states (tests remove a domain there).</param>
    internal List<DomainInfo> ListOneByOne(Action? listed = null)
    {
        var n = Interop.virConnectListAllDomains(_conn, out var array, 0);
        Check(n, "Listing domains");
        var handles = LibvirtLists.Take(array, n, DomainHandle.FromOwned);
        listed?.Invoke();
        return LibvirtLists.Map(handles, h => Describe(h, removedIsNull: true)).OfType<DomainInfo>().ToList();
    }

    public Task<DomainInfo?> FindDomainAsync(Guid id, CancellationToken ct = default) => Native(() =>
    {
        using var d = Interop.virDomainLookupByUUIDString(_conn, id.ToString());
        return d.IsInvalid ? null : Describe(d);
    }, ct);

    public Task<string> GetDomainXmlAsync(Guid id, bool inactive, CancellationToken ct = default) => Native(() =>
    {
        using var d = Domain(id, "Reading the domain XML");
        return Interop.Owned(Interop.virDomainGetXMLDesc(d, XmlSecure | (inactive ? XmlInactive : 0)))
               ?? throw new HypervisorException("Reading the domain XML", LastError());
    }, ct);

    public Task<DomainInfo> DefineDomainAsync(string xml, CancellationToken ct = default) => Long(() =>
    {
        using var d = Interop.virDomainDefineXML(_conn, SnapshotXml.WithoutBackingChains(xml));
        if (d.IsInvalid) throw new HypervisorException("Defining the VM", LastError());
        var info = Describe(d);
        Persist(info.Id);
        return info;
    }, ct);

    public Task UndefineDomainAsync(Guid id, CancellationToken ct = default) => Long(() =>
    {
        using (var d = Domain(id, "Removing the VM"))
            Check(Interop.virDomainUndefineFlags(d, UndefineSnapshotsMetadata | (IsTestDriver ? 0 : UndefineNvram)), "Removing the VM"); // the test driver has no NVRAM flag
        Persist(id);
    }, ct);

    /// <summary>A change to a domain's run state, written back on the embedded host whatever its outcome.</summary>
    private Task Change(Guid id, string operation, Func<DomainHandle, int> call, CancellationToken ct) => Long(() =>
    {
        try
        {
            using var d = Domain(id, operation);
            Check(call(d), operation);
        }
        finally { Persist(id); }
    }, ct);

    public Task StartAsync(Guid id, CancellationToken ct = default) => Change(id, "Starting the VM", Interop.virDomainCreate, ct);
    public Task DestroyAsync(Guid id, CancellationToken ct = default) => Change(id, "Powering off the VM", Interop.virDomainDestroy, ct);
    public Task ShutdownAsync(Guid id, CancellationToken ct = default) => Change(id, "Shutting down the VM", Interop.virDomainShutdown, ct);
    public Task SuspendAsync(Guid id, CancellationToken ct = default) => Change(id, "Pausing the VM", Interop.virDomainSuspend, ct);
    public Task ResumeAsync(Guid id, CancellationToken ct = default) => Change(id, "Resuming the VM", Interop.virDomainResume, ct);

    public Task WaitForJobAsync(Guid id, CancellationToken ct = default) => Long(() =>
    {
        if (IsTestDriver) return; // its calls finish before they return; it has no job info either
        var conn = JobConnection();
        if (conn is null) return;
        using var d = Interop.virDomainLookupByUUIDString(conn, id.ToString());
        if (d.IsInvalid) return;
        // VIR_DOMAIN_JOB_NONE is 0. A daemon that cannot say (an error) has no job this call could wait for.
        while (!ct.IsCancellationRequested && Interop.virDomainGetJobInfo(d, out var job) == 0 && job.Type != 0)
            ct.WaitHandle.WaitOne(200);
        ct.ThrowIfCancellationRequested();
    }, ct);

    public Task<SnapshotTaken> CreateSnapshotAsync(Guid id, SnapshotRequest request, CancellationToken ct = default) => Long(() =>
    {
        try { return CreateSnapshot(id, request); }
        finally { Persist(id); }
    }, ct);

    private SnapshotTaken CreateSnapshot(Guid id, SnapshotRequest request)
    {
        using var d = Domain(id, "Taking the snapshot");
        var state = Describe(d).State;
        var live = state is DomainRunState.Running or DomainRunState.Paused or DomainRunState.Blocked;
        var domainXml = XDocument.Parse(request.InactiveXml ?? Interop.Owned(Interop.virDomainGetXMLDesc(d, XmlInactive)) ?? "<domain/>");
        // A guest that stopped after the caller last saw it running (a shutdown from inside) has no memory to save: its
        // snapshot is of the disks, as for any stopped VM, and the caller is told.
        if (!live) request = request with { MemoryFile = null };
        var (xml, flags) = SnapshotXml.Build(request, live, IsTestDriver, domainXml);
        if (!live && !IsTestDriver && (flags & SnapshotXml.DiskOnly) == 0)
            return Taken(d, null, false); // a stopped VM without disks: the configuration in the portal is the whole snapshot
        using (request.Progress is null || request.MemoryFile is null || IsTestDriver ? null : WatchDumpProgress(id, request.Progress))
        {
            using var s = Interop.virDomainSnapshotCreateXML(d, xml, flags);
            if (s.IsInvalid) throw new HypervisorException("Taking the snapshot", LastError());
            return Taken(d, Interop.Owned(Interop.virDomainSnapshotGetXMLDesc(s, XmlSecure)) ?? throw new HypervisorException("Reading the snapshot", LastError()),
                request.MemoryFile is not null);
        }
    }

    private static SnapshotTaken Taken(DomainHandle d, string? snapshotXml, bool memorySaved) => new(snapshotXml,
        Interop.Owned(Interop.virDomainGetXMLDesc(d, XmlSecure | XmlInactive)) ?? throw new HypervisorException("Reading the domain XML", LastError()),
        Describe(d).State, memorySaved);

    /// <summary>When the first look at a dump's job info comes, and how often the next ones.</summary>
    private static readonly TimeSpan DumpProgressAfter = TimeSpan.FromSeconds(1), DumpProgressEvery = TimeSpan.FromMilliseconds(500);

    /// <summary>
    /// Reports the running dump's progress from libvirt's job info until disposed. A dump that ends within
    /// <see cref="DumpProgressAfter"/> is not looked at (the VM shows Saving State meanwhile), and a longer one twice a
    /// second: each look is a query to QEMU in the dump's way. virsh's own snapshot of the 128 MiB guest took a median
    /// 27 ms longer (~300 ms, 8 alternated rounds) while another client asked for the job info every 100 ms.
    /// </summary>
    private IDisposable WatchDumpProgress(Guid id, IProgress<double> progress)
    {
        var cts = new CancellationTokenSource();
        var token = cts.Token;
        new Thread(() =>
        {
            // Progress is a nicety: nothing here may take the process down (an unhandled exception on a thread does).
            try
            {
                if (token.WaitHandle.WaitOne(DumpProgressAfter)) return;
                var conn = JobConnection();
                if (conn is null) return;
                using var d = Interop.virDomainLookupByUUIDString(conn, id.ToString());
                if (d.IsInvalid) return;
                while (!token.IsCancellationRequested)
                {
                    if (Interop.virDomainGetJobInfo(d, out var job) == 0 && job.Type != 0)
                    {
                        var total = job.MemTotal > 0 ? job.MemTotal : job.DataTotal;
                        var done = job.MemTotal > 0 ? job.MemProcessed : job.DataProcessed;
                        if (total > 0) progress.Report(Math.Clamp(done / (double)total, 0, 1));
                    }
                    token.WaitHandle.WaitOne(DumpProgressEvery);
                }
            }
            catch (Exception ex) { LogProgressFailed(_log, id, ex.Message); }
        }) { IsBackground = true, Name = "dump-progress" }.Start();
        return new CancelOnDispose(cts);
    }

    private readonly Lock _jobGate = new();
    private ConnectHandle? _jobConn;

    /// <summary>
    /// A second connection, only for reading job info: on the main one a poll would queue behind the snapshot call
    /// it watches. Opened once and kept, because opening one costs the daemon more than the poll itself.
    /// </summary>
    private ConnectHandle? JobConnection()
    {
        lock (_jobGate)
        {
            if (_jobConn is { IsInvalid: false } open && Interop.virConnectIsAlive(open) == 1) return open;
            _jobConn?.Dispose();
            _jobConn = Interop.virConnectOpen(_openUri);
            return _jobConn.IsInvalid ? null : _jobConn;
        }
    }

    // Cancel only: the watcher thread may still be waiting on the token's handle, so the source is not disposed.
    private sealed class CancelOnDispose(CancellationTokenSource cts) : IDisposable
    {
        public void Dispose() => cts.Cancel();
    }

    public Task<string> WithFreshOverlaysAsync(string configurationXml, string tag, CancellationToken ct = default) => Long(() =>
    {
        if (IsTestDriver) return configurationXml;
        var doc = XDocument.Parse(configurationXml);
        foreach (var disk in doc.Root?.Element("devices")?.Elements("disk") ?? [])
        {
            var source = disk.Element("source");
            var image = (string?)source?.Attribute("file");
            if (image is null || (string?)disk.Attribute("device") is not (null or "disk")) continue;
            var overlay = CreateOverlay(image, tag);
            source!.SetAttributeValue("file", overlay);
            disk.Element("driver")?.SetAttributeValue("type", "qcow2");
            disk.Element("backingStore")?.Remove();
        }
        return doc.ToString(SaveOptions.DisableFormatting);
    }, ct);

    /// <summary>A new empty qcow2 volume backed by <paramref name="image"/>, in the same storage pool.</summary>
    private string CreateOverlay(string image, string tag)
    {
        using var baseVol = Interop.virStorageVolLookupByPath(_conn, image);
        if (baseVol.IsInvalid)
            throw new HypervisorException("Preparing the disks", $"the disk image {image} is not in any storage pool of the host: {LastError()}");
        using var pool = Interop.virStoragePoolLookupByVolume(baseVol);
        if (pool.IsInvalid) throw new HypervisorException("Preparing the disks", LastError());
        Check(Interop.virStorageVolGetInfo(baseVol, out var info), "Preparing the disks");
        var name = Path.GetFileName(SnapshotXml.OverlayPath(image, tag));
        var format = image.EndsWith(".qcow2", StringComparison.OrdinalIgnoreCase) ? "qcow2" : "raw";
        var xml = new XElement("volume",
            new XElement("name", name),
            new XElement("capacity", new XAttribute("unit", "bytes"), info.Capacity),
            new XElement("target", new XElement("format", new XAttribute("type", "qcow2"))),
            new XElement("backingStore", new XElement("path", image), new XElement("format", new XAttribute("type", format)))).ToString(SaveOptions.DisableFormatting);
        using var v = Interop.virStorageVolCreateXML(pool, xml, 0);
        if (v.IsInvalid) throw new HypervisorException("Preparing the disks", LastError());
        return Interop.Owned(Interop.virStorageVolGetPath(v)) ?? throw new HypervisorException("Preparing the disks", LastError());
    }

    public Task<IReadOnlyList<string>> DeleteUnusedOverlaysAsync(IReadOnlyCollection<string> candidates, IReadOnlyCollection<string> inUse, CancellationToken ct = default) =>
        Long<IReadOnlyList<string>>(() =>
        {
            if (IsTestDriver) return [];
            RefreshActivePools(); // overlays QEMU made for snapshots are volumes only once their pool was refreshed
            var needed = new HashSet<string>(StringComparer.Ordinal);
            foreach (var path in inUse)
                for (var p = path; p is not null && needed.Add(p);) p = BackingFile(p);
            var deleted = new List<string>();
            foreach (var path in candidates.Distinct())
            {
                if (needed.Contains(path) || !SnapshotXml.IsOverlayPath(path)) continue;
                using var v = Interop.virStorageVolLookupByPath(_conn, path);
                if (v.IsInvalid) continue; // gone already, or not in a pool: not the portal's to delete
                Check(Interop.virStorageVolDelete(v, 0), "Removing a disk overlay");
                deleted.Add(path);
            }
            return deleted;
        }, ct);

    /// <summary>The image <paramref name="path"/> is an overlay of, from its volume XML; null for a base image or one outside every pool.</summary>
    private string? BackingFile(string path)
    {
        using var v = Interop.virStorageVolLookupByPath(_conn, path);
        if (v.IsInvalid) return null;
        var xml = Interop.Owned(Interop.virStorageVolGetXMLDesc(v, 0));
        return xml is null ? null : (string?)Vms.DomainXml.Parse(xml).Root?.Element("backingStore")?.Element("path");
    }

    public Task DeleteSnapshotAsync(Guid id, string name, CancellationToken ct = default) => Long(() =>
    {
        using (var d = Domain(id, "Removing the snapshot"))
        using (var s = Interop.virDomainSnapshotLookupByName(d, name, 0))
        {
            if (s.IsInvalid) return; // already gone: removal is idempotent
            // The test driver refuses METADATA_ONLY ("unsupported flags (0x2)"); it writes no files, so a plain delete keeps nothing the portal owns.
            Check(Interop.virDomainSnapshotDelete(s, IsTestDriver ? 0 : SnapshotDeleteMetadataOnly), "Removing the snapshot");
        }
        Persist(id);
    }, ct);

    // virDomainSnapshotCreateFlags: REDEFINE restores metadata only; nothing on the guest or disks changes.
    private const uint SnapshotRedefine = 1;

    public Task RedefineSnapshotAsync(Guid id, string snapshotXml, CancellationToken ct = default) => Long(() =>
    {
        using (var d = Domain(id, "Re-creating the snapshot record"))
        using (var s = Interop.virDomainSnapshotCreateXML(d, snapshotXml, SnapshotRedefine))
            if (s.IsInvalid) throw new HypervisorException("Re-creating the snapshot record", LastError());
        Persist(id);
    }, ct);

    public Task<IReadOnlyList<string>> ListSnapshotNamesAsync(Guid id, CancellationToken ct = default) => Native<IReadOnlyList<string>>(() =>
    {
        using var d = Domain(id, "Listing snapshots");
        return ListSnapshots(d).Select(x => x.Name).ToList();
    }, ct);

    public Task<string?> GetSnapshotXmlAsync(Guid id, string name, CancellationToken ct = default) => Native(() =>
    {
        using var d = Domain(id, "Reading the snapshot");
        using var s = Interop.virDomainSnapshotLookupByName(d, name, 0);
        return s.IsInvalid ? null : Interop.Owned(Interop.virDomainSnapshotGetXMLDesc(s, XmlSecure));
    }, ct);

    private static List<(string Name, string Xml)> ListSnapshots(DomainHandle d)
    {
        var n = Interop.virDomainListAllSnapshots(d, out var array, 0);
        Check(n, "Listing snapshots");
        return LibvirtLists.Map(LibvirtLists.Take(array, n, SnapshotHandle.FromOwned),
            s => (Interop.Borrowed(Interop.virDomainSnapshotGetName(s)) ?? "", Interop.Owned(Interop.virDomainSnapshotGetXMLDesc(s, 0)) ?? ""));
    }

    public Task RestoreFromMemoryAsync(Guid id, MemoryRestoreRequest request, CancellationToken ct = default) => Long(() =>
    {
        try { RestoreFromMemory(id, request); }
        finally { Persist(id); }
    }, ct);

    private void RestoreFromMemory(Guid id, MemoryRestoreRequest request)
    {
        if (IsTestDriver)
        {
            RestoreByTestDriverRevert(id, request);
            return;
        }
        // The dump's own XML, with every disk moved to the disks the VM's configuration names now (fresh overlays on
        // the snapshot's images, made at preview). Never restore without this override: restoring onto the
        // snapshot's own chain would write into it (LIBVIRT-NOTES.md).
        var saved = Interop.Owned(Interop.virDomainSaveImageGetXMLDesc(_conn, request.DumpPath, XmlSecure))
                    ?? throw new HypervisorException("Restoring the VM's memory", LastError());
        var dxml = SnapshotXml.RetargetDisks(saved, request.ConfigurationXml);
        Check(Interop.virDomainRestoreFlags(_conn, request.DumpPath, dxml, RestorePaused), "Restoring the VM's memory");
    }

    /// <summary>
    /// The test driver writes no memory file, so a dump path cannot be restored directly. It does keep the
    /// running state inside the snapshot that recorded that path: revert to it, paused.
    /// </summary>
    private void RestoreByTestDriverRevert(Guid id, MemoryRestoreRequest request)
    {
        using var d = Domain(id, "Restoring the VM's memory");
        var owner = ListSnapshots(d).FirstOrDefault(s => SnapshotXml.MemoryFile(s.Xml) == request.DumpPath);
        if (owner.Name is null)
        {
            // The snapshot that recorded the dump was removed while an Active snapshot still shares its memory. The
            // dump was never written, so there is nothing to load: if its volume still exists, leave the domain
            // started and paused, as virDomainRestoreFlags(PAUSED) would (the test driver refuses START_PAUSED).
            using var dump = Interop.virStorageVolLookupByPath(_conn, request.DumpPath);
            if (dump.IsInvalid)
                throw new HypervisorException("Restoring the VM's memory", $"no snapshot on the host holds the memory dump '{request.DumpPath}', and no volume has that path");
            Check(Interop.virDomainCreate(d), "Restoring the VM's memory");
            Check(Interop.virDomainSuspend(d), "Restoring the VM's memory");
            return;
        }
        using var s = Interop.virDomainSnapshotLookupByName(d, owner.Name, 0);
        if (s.IsInvalid) throw new HypervisorException("Restoring the VM's memory", LastError());
        Check(Interop.virDomainRevertToSnapshot(s, RevertPaused | RevertForce), "Restoring the VM's memory");
    }

    // virStoragePoolBuildFlags: NO_OVERWRITE refuses a device or volume group that already holds data (a disk pool
    // refuses a formatted device even without it); OVERWRITE writes a new label over whatever is there.
    private const uint PoolBuildNoOverwrite = 4, PoolBuildOverwrite = 8;
    // virStoragePoolState
    private const int PoolRunning = 2;

    public Task<PoolInfo> GetPoolAsync(string pool, CancellationToken ct = default) => Native(() =>
    {
        using var p = Pool(pool, "Reading the storage domain");
        return Describe(p, pool, refresh: true);
    }, ct);

    public Task<IReadOnlyList<PoolInfo>> ListPoolsAsync(CancellationToken ct = default) => Native<IReadOnlyList<PoolInfo>>(() =>
    {
        var n = Interop.virConnectListAllStoragePools(_conn, out var array, 0);
        Check(n, "Listing storage pools");
        return LibvirtLists.Map(LibvirtLists.Take(array, n, StoragePoolHandle.FromOwned),
                p => Describe(p, Interop.Borrowed(Interop.virStoragePoolGetName(p)) ?? "", refresh: false))
            .OrderBy(p => p.Name, StringComparer.Ordinal).ToList();
    }, ct);

    private static PoolInfo Describe(StoragePoolHandle p, string name, bool refresh)
    {
        if (refresh && Interop.virStoragePoolIsActive(p) == 1)
            Interop.virStoragePoolRefresh(p, 0); // best effort: a refresh failure still leaves the last known sizes
        Check(Interop.virStoragePoolGetInfo(p, out var info), "Reading the storage domain");
        var xml = Interop.Owned(Interop.virStoragePoolGetXMLDesc(p, 0)) ?? throw new HypervisorException("Reading the storage domain", LastError());
        var d = PoolDescription.Parse(xml);
        return new PoolInfo(name, (long)info.Capacity, (long)info.Allocation, (long)info.Available, d.TargetPath, d.Type, info.State == PoolRunning);
    }

    private StoragePoolHandle Pool(string name, string operation)
    {
        var p = Interop.virStoragePoolLookupByName(_conn, name);
        if (p.IsInvalid) throw new HypervisorException(operation, LastError());
        return p;
    }

    private static PoolDescription Description(StoragePoolHandle p, string operation) =>
        PoolDescription.Parse(Interop.Owned(Interop.virStoragePoolGetXMLDesc(p, 0)) ?? throw new HypervisorException(operation, LastError()));

    public Task<PoolInfo> CreatePoolAsync(string poolXml, bool overwrite, CancellationToken ct = default) => Long(() =>
    {
        const string op = "Creating the storage pool";
        PoolChanged();
        using var p = Interop.virStoragePoolDefineXML(_conn, poolXml, 0);
        if (p.IsInvalid) throw new HypervisorException(op, LastError());
        var name = Interop.Borrowed(Interop.virStoragePoolGetName(p)) ?? "";
        try
        {
            // The flags are about devices: with either, libvirt formats the pool's source ("No source device specified
            // when formatting pool" for a directory). The test driver accepts none; it has no devices to protect either.
            var described = PoolDescription.Parse(poolXml);
            var flags = IsTestDriver || described.Devices.Count == 0 ? 0 : overwrite ? PoolBuildOverwrite : PoolBuildNoOverwrite;
            if (described is { Type: not "logical" } or { Devices.Count: > 0 })
                Check(Interop.virStoragePoolBuild(p, flags), op); // a logical pool without devices names a volume group that exists
            Check(Interop.virStoragePoolCreate(p, 0), op);
            Check(Interop.virStoragePoolSetAutostart(p, 1), op);
            var info = Describe(p, name, refresh: false);
            PersistPool(name);
            return info;
        }
        catch
        {
            // Nothing stays defined; the build's own work (a directory, a label, a volume group) is data and stays.
            if (Interop.virStoragePoolIsActive(p) == 1) Interop.virStoragePoolDestroy(p);
            Interop.virStoragePoolUndefine(p);
            throw;
        }
    }, ct);

    public Task RemovePoolAsync(string pool, CancellationToken ct = default) => Long(() =>
    {
        PoolChanged();
        using (var p = Pool(pool, "Removing the storage pool"))
        {
            // Destroy only stops the pool (virStoragePoolDelete would delete it); undefine forgets it. No data goes.
            if (Interop.virStoragePoolIsActive(p) == 1) Check(Interop.virStoragePoolDestroy(p), "Stopping the storage pool");
            Check(Interop.virStoragePoolUndefine(p), "Removing the storage pool");
        }
        PersistPool(pool);
    }, ct);

    public Task StartPoolAsync(string pool, CancellationToken ct = default) => Long(() =>
    {
        using var p = Pool(pool, "Starting the storage pool");
        if (Interop.virStoragePoolIsActive(p) != 1) Check(Interop.virStoragePoolCreate(p, 0), "Starting the storage pool");
    }, ct);

    private static List<string> VolumeNames(StoragePoolHandle p, string operation)
    {
        var n = Interop.virStoragePoolListAllVolumes(p, out var array, 0);
        Check(n, operation);
        return LibvirtLists.Map(LibvirtLists.Take(array, n, StorageVolHandle.FromOwned), v => Interop.Borrowed(Interop.virStorageVolGetName(v)) ?? "");
    }

    /// <summary>
    /// Creates a volume with <paramref name="create"/>, under the name the pool will accept: a disk pool names each
    /// partition after its device (<see cref="DiskPartitionNames"/>). Should libvirt still disagree ("invalid partition
    /// name 'X', expected 'Y'"), the partition it made under Y is removed and the call is made once more as Y.
    /// </summary>
    private VolumeRef CreateNamed(StoragePoolHandle pool, string wanted, long bytes, bool preallocate, VolumeFormat format, string op,
        Func<string, StorageVolHandle> create)
    {
        var d = KnownDescription(pool, op);
        string Xml(string name) => StorageVolumeXml.Build(d.Type, name, bytes, preallocate, format);
        if (d.Type != "disk" || d.Devices.Count == 0) return Made(create(Xml(wanted)), op, d);

        Interop.virStoragePoolRefresh(pool, 0);
        var name = DiskPartitionNames.Next(d.Devices[0], VolumeNames(pool, op));
        var v = create(Xml(name));
        if (!v.IsInvalid) return Made(v, op);
        var error = LastError();
        v.Dispose();
        var expected = System.Text.RegularExpressions.Regex.Match(error, "expected '([^']+)'");
        if (!expected.Success) throw new HypervisorException(op, error);
        Interop.virStoragePoolRefresh(pool, 0);
        using (var stray = Interop.virStorageVolLookupByName(pool, expected.Groups[1].Value))
            if (!stray.IsInvalid) Check(Interop.virStorageVolDelete(stray, 0), op);
        return Made(create(Xml(expected.Groups[1].Value)), op);
    }

    private static VolumeRef Made(StorageVolHandle v, string op, PoolDescription? pool = null)
    {
        using (v)
        {
            if (v.IsInvalid) throw new HypervisorException(op, LastError());
            var name = Interop.Borrowed(Interop.virStorageVolGetName(v)) ?? "";
            // A directory's volume is a file named after it in the pool's directory, as libvirt makes it: asking for the
            // path would be one more round trip to libvirtd before a snapshot's dump.
            if (pool is { Type: "dir" or "fs" or "netfs", TargetPath: { Length: > 0 } dir } && name.Length > 0)
                return new VolumeRef(name, dir.TrimEnd('/') + "/" + name);
            return new VolumeRef(name, Interop.Owned(Interop.virStorageVolGetPath(v)) ?? throw new HypervisorException(op, LastError()));
        }
    }

    /// <summary>
    /// Pools' descriptions by pool UUID: what a new volume's XML and path depend on (the pool's type, its directory, a
    /// disk pool's device) stays as long as the pool does, and reading it again was a round trip to libvirtd for each
    /// volume a snapshot makes. Forgotten at every pool lifecycle event (defined, started, stopped, removed: a pool
    /// another client defines again under the same UUID with another directory is read again); kept only while
    /// libvirt sends those events on this connection.
    /// </summary>
    private readonly Dictionary<string, PoolDescription> _poolDescriptions = [];
    private readonly Lock _poolGate = new();
    private long _poolGeneration;

    private void PoolChanged()
    {
        lock (_poolGate)
        {
            _poolGeneration++;
            _poolDescriptions.Clear();
        }
    }

    private PoolDescription KnownDescription(StoragePoolHandle p, string op)
    {
        if (_poolCallbackId < 0) return Description(p, op);
        var buf = stackalloc byte[37];
        var uuid = Interop.virStoragePoolGetUUIDString(p, buf) == 0 ? new string((sbyte*)buf) : null;
        long generation;
        lock (_poolGate)
        {
            if (uuid is not null && _poolDescriptions.TryGetValue(uuid, out var known)) return known;
            generation = _poolGeneration;
        }
        var d = Description(p, op);
        lock (_poolGate)
            if (uuid is not null && generation == _poolGeneration) _poolDescriptions[uuid] = d; // no event while it was read
        return d;
    }

    public Task<VolumeRef> CreateVolumeAsync(string pool, string name, long bytes, bool preallocate, CancellationToken ct = default) => Long(() =>
    {
        const string op = "Creating the memory volume";
        try
        {
            using var p = Pool(pool, op);
            return CreateNamed(p, name, bytes, preallocate, VolumeFormat.Raw, op, xml => Interop.virStorageVolCreateXML(p, xml, 0));
        }
        finally { PersistPool(pool); }
    }, ct);

    public Task<bool> DeleteVolumeAsync(string pool, string name, CancellationToken ct = default) => Long(() =>
    {
        using (var p = Pool(pool, "Removing the memory volume"))
        using (var v = Interop.virStorageVolLookupByName(p, name))
        {
            if (v.IsInvalid) return false;
            Check(Interop.virStorageVolDelete(v, 0), "Removing the memory volume");
        }
        PersistPool(pool);
        return true;
    }, ct);

    public Task<IReadOnlyList<string>> ListVolumeNamesAsync(string pool, CancellationToken ct = default) => Native<IReadOnlyList<string>>(() =>
    {
        using var p = Pool(pool, "Listing the volumes");
        if (Interop.virStoragePoolIsActive(p) == 1) Interop.virStoragePoolRefresh(p, 0);
        return VolumeNames(p, "Listing the volumes");
    }, ct);

    public Task<VolumeRef> CopyVolumeAsync(string sourcePool, string sourceName, string targetPool, string targetName, long preallocateBytes,
        VolumeFormat format = VolumeFormat.Raw, CancellationToken ct = default) => Long(() =>
    {
        try { return CopyVolume(sourcePool, sourceName, targetPool, targetName, preallocateBytes, format); }
        finally { PersistPool(targetPool); }
    }, ct);

    private VolumeRef CopyVolume(string sourcePool, string sourceName, string targetPool, string targetName, long preallocateBytes, VolumeFormat format)
    {
        const string op = "Copying a volume";
        using var src = Pool(sourcePool, op);
        using var dst = Pool(targetPool, op);
        using var from = Interop.virStorageVolLookupByName(src, sourceName);
        if (from.IsInvalid) throw new HypervisorException(op, LastError());
        Check(Interop.virStorageVolGetInfo(from, out var info), op);
        // libvirt copies the source's whole capacity; a block target is made at least that big, and as big as asked.
        var capacity = Math.Max((long)info.Capacity, preallocateBytes);
        // The test driver keeps volumes as metadata only and cannot copy across pools (it looks the source up in the
        // target pool). There are no bytes to copy: a volume of the same size is the whole copy.
        return CreateNamed(dst, targetName, capacity, preallocateBytes > 0, format, op, xml => IsTestDriver
            ? Interop.virStorageVolCreateXML(dst, xml, 0)
            : Interop.virStorageVolCreateXMLFrom(dst, xml, from, 0));
    }

    public Task<string?> FindVolumePathAsync(string pool, string name, CancellationToken ct = default) => Native(() =>
    {
        using var p = Pool(pool, "Looking up a volume");
        using var v = Interop.virStorageVolLookupByName(p, name);
        return v.IsInvalid ? null : Interop.Owned(Interop.virStorageVolGetPath(v));
    }, ct);

    public Task<IReadOnlyList<DiskImage>> GetDiskImagesAsync(string configurationXml, CancellationToken ct = default) => Long<IReadOnlyList<DiskImage>>(() =>
    {
        if (IsTestDriver) return [];
        const string op = "Reading the disk images";
        var result = new List<DiskImage>();
        var refreshed = false;
        foreach (var (target, path) in SnapshotXml.FileDisks(XDocument.Parse(configurationXml)))
        {
            var v = Interop.virStorageVolLookupByPath(_conn, path);
            if (v.IsInvalid && !refreshed)
            {
                // Overlays made by snapshots are files QEMU created; a pool lists them after a refresh.
                v.Dispose();
                RefreshActivePools();
                refreshed = true;
                v = Interop.virStorageVolLookupByPath(_conn, path);
            }
            using (v)
            {
                if (v.IsInvalid) throw new HypervisorException(op, $"the image {path} of disk {target} is not a volume of any storage pool on the host: {LastError()}");
                using var pool = Interop.virStoragePoolLookupByVolume(v);
                if (pool.IsInvalid) throw new HypervisorException(op, LastError());
                Check(Interop.virStorageVolGetInfo(v, out var info), op);
                result.Add(new DiskImage(target, path, Interop.Borrowed(Interop.virStoragePoolGetName(pool)) ?? "",
                    Interop.Borrowed(Interop.virStorageVolGetName(v)) ?? "", (long)info.Capacity));
            }
        }
        return result;
    }, ct);

    public Task<PoolFileRead?> ReadPoolFileAsync(string path, long offset, int maxBytes, CancellationToken ct = default) => Native(() =>
    {
        const string op = "Reading a file of the host";
        var v = Interop.virStorageVolLookupByPath(_conn, path);
        if (v.IsInvalid)
        {
            // A file written since its pool was last refreshed (a console log a domain's first start created) is not
            // a volume yet: only the pool of its folder is refreshed, as this is asked again and again.
            v.Dispose();
            if (!RefreshPoolOfFolder(Path.GetDirectoryName(path))) return null;
            v = Interop.virStorageVolLookupByPath(_conn, path);
            if (v.IsInvalid) { v.Dispose(); return new PoolFileRead([], 0, 0); } // a pool's folder, no such file yet
        }
        using (v)
        {
            Check(Interop.virStorageVolGetInfo(v, out var info), op);
            var length = (long)info.Capacity;
            if (offset > length) offset = 0;
            var start = Math.Max(offset, length - maxBytes);
            return new PoolFileRead(start < length ? Download(v, start, length - start, op) : [], start, length);
        }
    }, ct);

    private unsafe byte[] Download(StorageVolHandle v, long start, long count, string op)
    {
        using var stream = Interop.virStreamNew(_conn, 0);
        if (stream.IsInvalid) throw new HypervisorException(op, LastError());
        Check(Interop.virStorageVolDownload(v, stream, (ulong)start, (ulong)count, 0), op);
        var bytes = new byte[count];
        var read = 0;
        fixed (byte* buffer = bytes)
        {
            while (read < bytes.Length)
            {
                var n = Interop.virStreamRecv(stream.DangerousGetHandle(), buffer + read, (nuint)(bytes.Length - read));
                if (n == 0) break; // the file ended sooner (cut short since its size was read)
                if (n < 0) { Interop.virStreamAbort(stream); throw new HypervisorException(op, LastError()); }
                read += n;
            }
        }
        // What is left past the count (the file grew meanwhile) is not asked for: the stream ends at the count.
        Check(Interop.virStreamFinish(stream), op);
        return read == bytes.Length ? bytes : bytes[..read];
    }

    /// <summary>Refreshes the active pool whose directory is <paramref name="folder"/>; false when none is.</summary>
    private bool RefreshPoolOfFolder(string? folder)
    {
        if (folder is null || Interop.virConnectListAllStoragePools(_conn, out var array, 2 /* VIR_CONNECT_LIST_STORAGE_POOLS_ACTIVE */) is not (var n and > 0))
            return false;
        var refreshed = LibvirtLists.Map(LibvirtLists.Take(array, n, StoragePoolHandle.FromOwned), p =>
            Interop.Owned(Interop.virStoragePoolGetXMLDesc(p, 0)) is { } xml && PoolDescription.Parse(xml).TargetPath is { } target
            && string.Equals(target.TrimEnd('/'), folder.TrimEnd('/'), StringComparison.Ordinal)
            && Interop.virStoragePoolRefresh(p, 0) == 0);
        return refreshed.Contains(true);
    }

    private void RefreshActivePools()
    {
        if (Interop.virConnectListAllStoragePools(_conn, out var array, 2 /* VIR_CONNECT_LIST_STORAGE_POOLS_ACTIVE */) is var n and > 0)
            LibvirtLists.Map(LibvirtLists.Take(array, n, StoragePoolHandle.FromOwned), p => Interop.virStoragePoolRefresh(p, 0));
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "The embedded host's state could not be written back to its node file: {Error}")]
    private static partial void LogPersistFailed(ILogger log, string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Reading the dump progress of VM {VmId} failed: {Error}")]
    private static partial void LogProgressFailed(ILogger log, Guid vmId, string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "libvirt at {Uri} refused lifecycle events ({Error}); VM status will not update live")]
    private static partial void LogNoEvents(ILogger log, string uri, string error);

    [LoggerMessage(Level = LogLevel.Information, Message = "libvirt at {Uri} runs without keepalive ({Error}); only a closed socket shows that the host is gone")]
    private static partial void LogNoKeepAlive(ILogger log, string uri, string error);

    [LoggerMessage(Level = LogLevel.Information, Message = "libvirt at {Uri} has no close callback ({Error}); a lost connection is noticed by the periodic check")]
    private static partial void LogNoCloseCallback(ILogger log, string uri, string error);
}
