using Portal.Core.Hypervisor;
using Portal.Core.Vms;
using Portal.Tests.Support;

namespace Portal.Tests.Vms;

/// <summary>The shared console sessions against the real libvirt test driver, which has no console to stream.</summary>
public sealed class SerialConsoleSessionsTests() : PortalTest(injectFaults: true)
{
    [Fact]
    public async Task Join_TestDriverHasNoConsole_FailsWithLibvirtsReasonAndKeepsNoSession()
    {
        var web = await Portal.VmIdAsync("web-frontend");
        var sessions = Portal.Get<SerialConsoleSessions>();

        var ex = await Assert.ThrowsAsync<HypervisorException>(() => sessions.JoinAsync(web, "alice", Ct));

        Assert.Equal("Opening the serial console", ex.Operation);
        Assert.Contains("not supported", ex.LibvirtMessage);
        Assert.Null(sessions.WriterOf(web));
    }

    [Fact]
    public async Task Join_AfterAFailedOpen_TriesTheHostAgain()
    {
        var web = await Portal.VmIdAsync("web-frontend");
        var sessions = Portal.Get<SerialConsoleSessions>();
        Portal.Faults.FailOn(nameof(IHypervisor.OpenSerialConsoleAsync), vmId: web);

        var injected = await Assert.ThrowsAsync<HypervisorException>(() => sessions.JoinAsync(web, "alice", Ct));
        var real = await Assert.ThrowsAsync<HypervisorException>(() => sessions.JoinAsync(web, "alice", Ct));

        // The first failure was not cached: the second join reached libvirt, which has its own reason.
        Assert.Contains(FaultInjectingHypervisor.InjectedMessage, injected.LibvirtMessage);
        Assert.Contains("not supported", real.LibvirtMessage);
    }

    [Fact]
    public async Task Viewer_FarBehindAFloodOfOutput_StillGetsItsRoleAndTheEnd()
    {
        // A guest booting under an open console writes its kernel log in hundreds of small chunks; a browser that takes
        // them slowly misses output, but never the notice that it is the writer (or it would drop the writer's keys).
        var stream = new FloodingStream(chunks: 3 * SerialConsoleViewer.MaxQueuedOutput);
        var session = new SerialConsoleSessions.Session(Portal.Get<SerialConsoleSessions>(), Guid.NewGuid(), stream);
        var viewer = new SerialConsoleViewer(session, "alice");
        Assert.True(session.TryAdd(viewer));

        session.Start();
        await stream.Disposed.Task.WaitAsync(Ct); // the flood went by, and the console ended, before the browser read anything

        var frames = new List<ConsoleFrame>();
        await foreach (var frame in viewer.ReadFramesAsync(Ct)) frames.Add(frame);
        Assert.Equal(new ConsoleRole(true, "alice"), frames[0]);
        Assert.Equal(SerialConsoleViewer.MaxQueuedOutput, frames.Count(f => f is ConsoleOutput));
        Assert.IsType<ConsoleEnded>(frames[^1]);
    }

    /// <summary>A console that has <paramref name="chunks"/> one-byte chunks ready at once, then ends.</summary>
    private sealed class FloodingStream(int chunks) : IConsoleStream
    {
        private int _left = chunks;

        public TaskCompletionSource Disposed { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken ct = default)
        {
            if (_left-- <= 0) return ValueTask.FromResult(0);
            buffer.Span[0] = (byte)'.';
            return ValueTask.FromResult(1);
        }

        public ValueTask WriteAsync(ReadOnlyMemory<byte> data, CancellationToken ct = default) => ValueTask.CompletedTask;

        public ValueTask DisposeAsync()
        {
            Disposed.TrySetResult();
            return ValueTask.CompletedTask;
        }
    }
}
