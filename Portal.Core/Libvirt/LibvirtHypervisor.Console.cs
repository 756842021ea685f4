using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Threading.Channels;
using Portal.Core.Hypervisor;

namespace Portal.Core.Libvirt;

public sealed unsafe partial class LibvirtHypervisor
{
    // virStreamFlags: NONBLOCK makes Recv/Send return -2 instead of waiting, so the event loop thread can read.
    private const uint StreamNonBlock = 1;
    // virDomainConsoleFlags: FORCE takes the console from an earlier session (a portal that died, a stale virsh
    // console): the portal shares one stream per VM among its own viewers, so a session it does not know is stale.
    // SAFE refuses drivers that cannot hand the console over cleanly rather than garbling two readers' bytes.
    private const uint ConsoleForce = 1, ConsoleSafe = 2;

    public Task<IConsoleStream> OpenSerialConsoleAsync(Guid id, CancellationToken ct = default) => Native<IConsoleStream>(() =>
    {
        const string operation = "Opening the serial console";
        using var d = Domain(id, operation);
        var st = Interop.virStreamNew(_conn, StreamNonBlock);
        if (st.IsInvalid) throw new HypervisorException(operation, LastError());
        try
        {
            Check(Interop.virDomainOpenConsole(d, null, st, ConsoleForce | ConsoleSafe), operation);
            return LibvirtConsoleStream.Start(st);
        }
        catch
        {
            st.Dispose();
            throw;
        }
    }, ct);
}

/// <summary>
/// A non-blocking libvirt stream read on libvirt's event loop thread (its READABLE callback drains it into a channel)
/// and written from the caller's task. The stream stays alive while the callback is registered.
/// </summary>
internal sealed class LibvirtConsoleStream : IConsoleStream
{
    // virStreamEventType
    private const int Readable = 1, Error = 4, Hangup = 8;
    private const int ChunkBytes = 64 * 1024;

    private readonly StreamHandle _st;
    private readonly Channel<byte[]> _incoming = Channel.CreateBounded<byte[]>(new BoundedChannelOptions(256)
    {
        // A viewer that stops reading loses old output rather than holding the event loop that serves every host.
        FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true, SingleWriter = true,
    });
    private readonly Lock _gate = new();
    private ReadOnlyMemory<byte> _pending;
    private bool _ended, _callback, _disposed;

    private LibvirtConsoleStream(StreamHandle st) => _st = st;

    internal static unsafe LibvirtConsoleStream Start(StreamHandle st)
    {
        var s = new LibvirtConsoleStream(st);
        var self = GCHandle.Alloc(s);
        if (Interop.virStreamEventAddCallback(st, Readable | Error | Hangup, &OnEvent, GCHandle.ToIntPtr(self),
                (IntPtr)(delegate* unmanaged[Cdecl]<IntPtr, void>)&FreeHandle) < 0)
        {
            self.Free();
            throw new HypervisorException("Opening the serial console", LibvirtHypervisor.LastError());
        }
        s._callback = true;
        return s;
    }

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static void FreeHandle(IntPtr opaque)
    {
        try { GCHandle.FromIntPtr(opaque).Free(); }
        catch (Exception ex) { Console.Error.WriteLine($"libvirt stream freecb failed: {ex.Message}"); }
    }

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static unsafe void OnEvent(IntPtr stream, int events, IntPtr opaque)
    {
        try
        {
            if (GCHandle.FromIntPtr(opaque).Target is LibvirtConsoleStream self) self.Drain(stream, events);
        }
        catch (Exception ex)
        {
            // An exception must never unwind into libvirt's C frames.
            Console.Error.WriteLine($"libvirt stream handler failed: {ex}");
        }
    }

    private unsafe void Drain(IntPtr stream, int events)
    {
        lock (_gate)
        {
            if (_disposed || _ended) return;
            var buffer = stackalloc byte[ChunkBytes];
            while (true)
            {
                var n = Interop.virStreamRecv(stream, buffer, ChunkBytes);
                if (n > 0) { _incoming.Writer.TryWrite(new Span<byte>(buffer, n).ToArray()); continue; }
                if (n == -2 && (events & (Error | Hangup)) == 0) return; // nothing more for now
                // 0: end of stream (the domain's process went away); -1 or ERROR/HANGUP: the stream broke.
                _ended = true;
                _incoming.Writer.TryComplete();
                return;
            }
        }
    }

    public async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken ct = default)
    {
        while (_pending.IsEmpty)
        {
            if (!await _incoming.Reader.WaitToReadAsync(ct)) return 0;
            if (_incoming.Reader.TryRead(out var chunk)) _pending = chunk;
        }
        var n = Math.Min(buffer.Length, _pending.Length);
        _pending[..n].CopyTo(buffer);
        _pending = _pending[n..];
        return n;
    }

    public async ValueTask WriteAsync(ReadOnlyMemory<byte> data, CancellationToken ct = default)
    {
        while (!data.IsEmpty)
        {
            ct.ThrowIfCancellationRequested();
            var n = Send(data.Span);
            if (n == -1) throw new HypervisorException("Typing into the serial console", LibvirtHypervisor.LastError());
            // -2: the stream's buffer is full for now; keystrokes are few, so a short pause is enough.
            if (n == -2) { await Task.Delay(10, ct); continue; }
            data = data[n..];
        }
    }

    private unsafe int Send(ReadOnlySpan<byte> data)
    {
        lock (_gate)
        {
            if (_disposed || _ended) throw new HypervisorException("Typing into the serial console", "the console has closed");
            fixed (byte* p = data) return Interop.virStreamSend(_st, p, (nuint)data.Length);
        }
    }

    public ValueTask DisposeAsync()
    {
        lock (_gate)
        {
            if (_disposed) return ValueTask.CompletedTask;
            _disposed = true;
            if (_callback) Interop.virStreamEventRemoveCallback(_st);
            // A stream that ended cleanly is finished; one still open is aborted (the daemon drops its end).
            if (_ended) Interop.virStreamFinish(_st); else Interop.virStreamAbort(_st);
            _incoming.Writer.TryComplete();
        }
        _st.Dispose();
        return ValueTask.CompletedTask;
    }
}
