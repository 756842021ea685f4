using System.Buffers;
using System.IO.Pipelines;

namespace Portal.Api;

/// <summary>
/// A write-only stream over a pipe (the response's <c>BodyWriter</c>), for writers that only write synchronously
/// (<see cref="System.Xml.XmlWriter"/>): each write is copied into the pipe's pooled buffers, and nothing reaches the
/// client until <see cref="SendAsync"/>, so no write blocks and no request holds a buffer of its own.
/// </summary>
internal sealed class PipeBufferStream(PipeWriter pipe) : Stream
{
    /// <summary>Bytes written since the last <see cref="SendAsync"/>.</summary>
    public long Unsent { get; private set; }

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        pipe.Write(buffer);
        Unsent += buffer.Length;
    }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken ct)
    {
        Write(buffer.AsSpan(offset, count));
        return Task.CompletedTask;
    }

    /// <summary>Sends what was written, waiting while the client is slower than the writer.</summary>
    public async Task SendAsync(CancellationToken ct)
    {
        Unsent = 0;
        var result = await pipe.FlushAsync(ct);
        if (result.IsCanceled) throw new OperationCanceledException(ct);
    }

    /// <summary>A writer's flush only empties its own buffer into this stream; <see cref="SendAsync"/> sends.</summary>
    public override void Flush() { }

    public override bool CanRead => false;
    public override bool CanSeek => false;
    public override bool CanWrite => true;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
}
