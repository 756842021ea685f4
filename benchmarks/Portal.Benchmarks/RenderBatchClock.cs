using System.Buffers;
using System.Collections.Concurrent;
using System.Diagnostics.CodeAnalysis;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Protocol;
using Microsoft.Extensions.DependencyInjection;
using static Portal.Benchmarks.LatencyBenchmark;

namespace Portal.Benchmarks;

/// <summary>
/// When the portal wrote each render batch to a circuit's connection: Blazor's own hub protocol ("blazorpack"), wrapped,
/// notes the time of every <c>JS.RenderBatch</c> message it serialises into a connection's output. That is the server's
/// side of a push, whatever the browsers do with the bytes after.
/// </summary>
internal sealed class RenderBatchClock
{
    private readonly ConcurrentQueue<double> _written = new();

    /// <summary>Times (<see cref="Clock.NowMs"/>) of the render batches written since the last call, oldest first.</summary>
    public List<double> Drain()
    {
        var result = new List<double>();
        while (_written.TryDequeue(out var t)) result.Add(t);
        return result;
    }

    /// <summary>Replaces Blazor's hub protocol registration with one that reports to this clock.</summary>
    [SuppressMessage("Trimming", "IL2072", Justification = "Benchmark only; Blazor's protocol type is in the shared framework.")]
    public void Install(IServiceCollection services)
    {
        var blazor = services.Single(d => d.ServiceType == typeof(IHubProtocol) && d.ImplementationType?.Name == "BlazorPackHubProtocol");
        var inner = (IHubProtocol)Activator.CreateInstance(blazor.ImplementationType!, nonPublic: true)!;
        services.Remove(blazor);
        services.AddSingleton<IHubProtocol>(new Timed(inner, this));
    }

    private void Note(HubMessage message)
    {
        if (message is InvocationMessage { Target: "JS.RenderBatch" }) _written.Enqueue(Clock.NowMs());
    }

    private sealed class Timed(IHubProtocol inner, RenderBatchClock clock) : IHubProtocol
    {
        public string Name => inner.Name;
        public int Version => inner.Version;
        public TransferFormat TransferFormat => inner.TransferFormat;
        public bool IsVersionSupported(int version) => inner.IsVersionSupported(version);

        public bool TryParseMessage(ref ReadOnlySequence<byte> input, IInvocationBinder binder, [NotNullWhen(true)] out HubMessage? message) =>
            inner.TryParseMessage(ref input, binder, out message);

        public void WriteMessage(HubMessage message, IBufferWriter<byte> output)
        {
            inner.WriteMessage(message, output);
            clock.Note(message);
        }

        public ReadOnlyMemory<byte> GetMessageBytes(HubMessage message)
        {
            var bytes = inner.GetMessageBytes(message);
            clock.Note(message);
            return bytes;
        }
    }
}
