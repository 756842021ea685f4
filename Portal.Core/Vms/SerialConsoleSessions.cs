using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Portal.Core.Hypervisor;

namespace Portal.Core.Vms;

/// <summary>What a console viewer is sent: the guest's output, who may type, or the end of the console.</summary>
public abstract record ConsoleFrame;

public sealed record ConsoleOutput(byte[] Data) : ConsoleFrame;

/// <summary>Whether this viewer types into the guest, and who does (this viewer's own name when it is the writer).</summary>
public sealed record ConsoleRole(bool IsWriter, string WriterName) : ConsoleFrame;

/// <summary>The console's stream ended (the domain stopped, or was restored into a new process).</summary>
public sealed record ConsoleEnded(string Reason) : ConsoleFrame;

/// <summary>
/// One shared libvirt console stream per VM, fanned out to every viewer (libvirt hands a domain's console to one client
/// at a time). Only one viewer types: the first to join; the others read, told the writer's name, and the earliest of
/// them becomes the writer when it leaves. The stream closes with its last viewer.
/// </summary>
public sealed partial class SerialConsoleSessions(IHypervisor hypervisor, ILogger<SerialConsoleSessions> log)
{
    /// <summary>Output kept for a viewer that joins a running console, so it does not start blank.</summary>
    public const int ScrollbackBytes = 16 * 1024;

    private readonly ILogger _log = log;
    private readonly Dictionary<Guid, Task<Session>> _sessions = [];
    private readonly Lock _gate = new();

    /// <summary>Joins the VM's console as <paramref name="userName"/>, opening it when nobody has it open.</summary>
    /// <exception cref="HypervisorException">The console cannot be opened (the VM does not run, the driver has none).</exception>
    public async Task<SerialConsoleViewer> JoinAsync(Guid vmId, string userName, CancellationToken ct = default)
    {
        for (var attempt = 0; ; attempt++)
        {
            Task<Session> opening;
            lock (_gate)
            {
                if (!_sessions.TryGetValue(vmId, out opening!))
                    _sessions[vmId] = opening = OpenAsync(vmId);
            }
            Session session;
            try { session = await opening.WaitAsync(ct); }
            catch (HypervisorException)
            {
                lock (_gate) if (_sessions.TryGetValue(vmId, out var t) && t == opening) _sessions.Remove(vmId);
                throw;
            }
            var viewer = new SerialConsoleViewer(session, userName);
            if (session.TryAdd(viewer)) return viewer;
            // The session ended between its lookup and the join: the next attempt opens a fresh stream.
            if (attempt >= 2) throw new HypervisorException("Opening the serial console", "the console keeps closing");
        }
    }

    /// <summary>The name of the user typing into the VM's console now; null when nobody has it open.</summary>
    public string? WriterOf(Guid vmId)
    {
        lock (_gate)
            return _sessions.TryGetValue(vmId, out var t) && t.IsCompletedSuccessfully ? t.Result.WriterName : null;
    }

    private async Task<Session> OpenAsync(Guid vmId)
    {
        await Task.Yield(); // never open under the caller's lock
        var stream = await hypervisor.OpenSerialConsoleAsync(vmId);
        LogOpened(_log, vmId);
        var session = new Session(this, vmId, stream);
        session.Start();
        return session;
    }

    private void Forget(Session session)
    {
        lock (_gate)
            if (_sessions.TryGetValue(session.VmId, out var t) && t.IsCompletedSuccessfully && t.Result == session) _sessions.Remove(session.VmId);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Serial console of VM {VmId} opened")]
    private static partial void LogOpened(ILogger log, Guid vmId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Serial console of VM {VmId} closed: {Reason}")]
    private static partial void LogClosed(ILogger log, Guid vmId, string reason);

    internal sealed class Session(SerialConsoleSessions owner, Guid vmId, IConsoleStream stream)
    {
        private readonly Lock _gate = new();
        private readonly List<SerialConsoleViewer> _viewers = [];
        private readonly byte[] _scrollback = new byte[ScrollbackBytes];
        private readonly CancellationTokenSource _stop = new();
        private int _scrollbackLength;
        private SerialConsoleViewer? _writer;
        private bool _ended;
        private Task _pump = Task.CompletedTask;

        public Guid VmId => vmId;

        public string? WriterName { get { lock (_gate) return _writer?.UserName; } }

        public void Start() => _pump = PumpAsync();

        public bool TryAdd(SerialConsoleViewer viewer)
        {
            lock (_gate)
            {
                if (_ended) return false;
                _viewers.Add(viewer);
                _writer ??= viewer;
                if (_scrollbackLength > 0) viewer.Post(new ConsoleOutput(_scrollback.AsSpan(0, _scrollbackLength).ToArray()));
                AnnounceRoles();
                return true;
            }
        }

        public bool IsWriter(SerialConsoleViewer viewer) { lock (_gate) return _writer == viewer && !_ended; }

        public async ValueTask<bool> TypeAsync(SerialConsoleViewer viewer, ReadOnlyMemory<byte> keys, CancellationToken ct)
        {
            // Checked on the server for every keystroke: a read-only viewer's browser may send anything.
            if (!IsWriter(viewer)) return false;
            await stream.WriteAsync(keys, ct);
            return true;
        }

        public async ValueTask LeaveAsync(SerialConsoleViewer viewer)
        {
            bool last;
            lock (_gate)
            {
                if (!_viewers.Remove(viewer)) return;
                if (_writer == viewer) _writer = _viewers.FirstOrDefault();
                last = _viewers.Count == 0;
                if (!last) AnnounceRoles();
            }
            if (last) await EndAsync("its last viewer left", announce: false);
        }

        private void AnnounceRoles()
        {
            foreach (var v in _viewers) v.Post(new ConsoleRole(v == _writer, _writer?.UserName ?? ""));
        }

        private async Task PumpAsync()
        {
            var buffer = new byte[16 * 1024];
            var reason = "the VM stopped, or was restored into a new process";
            try
            {
                while (true)
                {
                    var n = await stream.ReadAsync(buffer, _stop.Token);
                    if (n == 0) break;
                    var data = buffer.AsSpan(0, n).ToArray();
                    lock (_gate)
                    {
                        Remember(data);
                        foreach (var v in _viewers) v.Post(new ConsoleOutput(data));
                    }
                }
            }
            catch (OperationCanceledException) { return; }
            catch (HypervisorException ex) { reason = ex.LibvirtMessage; }
            await EndAsync(reason, announce: true);
        }

        private void Remember(byte[] data)
        {
            if (data.Length >= _scrollback.Length)
            {
                data.AsSpan(data.Length - _scrollback.Length).CopyTo(_scrollback);
                _scrollbackLength = _scrollback.Length;
                return;
            }
            var keep = Math.Min(_scrollbackLength, _scrollback.Length - data.Length);
            _scrollback.AsSpan(_scrollbackLength - keep, keep).CopyTo(_scrollback);
            data.CopyTo(_scrollback.AsSpan(keep));
            _scrollbackLength = keep + data.Length;
        }

        private async Task EndAsync(string reason, bool announce)
        {
            List<SerialConsoleViewer> viewers;
            lock (_gate)
            {
                if (_ended) return;
                _ended = true;
                viewers = [.. _viewers];
                _viewers.Clear();
                _writer = null;
            }
            owner.Forget(this);
            foreach (var v in viewers)
            {
                if (announce) v.Post(new ConsoleEnded(reason));
                v.Complete();
            }
            if (!announce) await _stop.CancelAsync();
            else _stop.Cancel();
            await stream.DisposeAsync();
            LogClosed(owner._log, vmId, reason);
        }
    }
}

/// <summary>One browser's view of a VM's serial console. Dispose to leave it.</summary>
public sealed class SerialConsoleViewer : IAsyncDisposable
{
    /// <summary>Output chunks kept for a browser that has not taken them yet; more are dropped until it catches up.</summary>
    public const int MaxQueuedOutput = 512;

    private readonly SerialConsoleSessions.Session _session;
    // Unbounded for the few role and end notices, which are never dropped (a browser that missed its role would think it
    // is read-only and drop the writer's keys); the output in it is bounded by _queuedOutput.
    private readonly Channel<ConsoleFrame> _frames = Channel.CreateUnbounded<ConsoleFrame>(new UnboundedChannelOptions { SingleReader = true });
    private int _queuedOutput;

    internal SerialConsoleViewer(SerialConsoleSessions.Session session, string userName)
    {
        _session = session;
        UserName = userName;
    }

    public string UserName { get; }

    /// <summary>Whether this viewer may type now.</summary>
    public bool IsWriter => _session.IsWriter(this);

    /// <summary>Everything sent to this viewer, in order; ends when the console ends or the viewer leaves.</summary>
    public async IAsyncEnumerable<ConsoleFrame> ReadFramesAsync([EnumeratorCancellation] CancellationToken ct = default)
    {
        await foreach (var frame in _frames.Reader.ReadAllAsync(ct))
        {
            if (frame is ConsoleOutput) Interlocked.Decrement(ref _queuedOutput);
            yield return frame;
        }
    }

    /// <summary>Sends keystrokes when this viewer is the writer; false (nothing sent) for a read-only viewer.</summary>
    public ValueTask<bool> TypeAsync(ReadOnlyMemory<byte> keys, CancellationToken ct = default) => _session.TypeAsync(this, keys, ct);

    internal void Post(ConsoleFrame frame)
    {
        // A browser that cannot keep up misses output, never a notice; it never holds the other viewers back.
        if (frame is ConsoleOutput && Interlocked.Increment(ref _queuedOutput) > MaxQueuedOutput)
        {
            Interlocked.Decrement(ref _queuedOutput);
            return;
        }
        _frames.Writer.TryWrite(frame);
    }

    internal void Complete() => _frames.Writer.TryComplete();

    public async ValueTask DisposeAsync()
    {
        await _session.LeaveAsync(this);
        _frames.Writer.TryComplete();
    }
}
