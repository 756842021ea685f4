namespace Portal.Core.Hypervisor;

/// <summary>
/// A duplex byte stream to a domain's character device (its serial console), open until disposed. Reads return 0 once
/// the other side ended it: the domain stopped, was restored into a new process, or another client took the console.
/// </summary>
public interface IConsoleStream : IAsyncDisposable
{
    /// <summary>Waits for the guest's next bytes; 0 when the stream has ended.</summary>
    ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken ct = default);

    /// <summary>Sends keystrokes to the guest.</summary>
    ValueTask WriteAsync(ReadOnlyMemory<byte> data, CancellationToken ct = default);
}
