using System.Collections.Concurrent;
using Portal.Core.Hosts;
using Portal.Core.Hypervisor;

namespace Portal.Tests.Support;

/// <summary>
/// Fault injection at the connection level: every libvirt connection the portal opens (the primary host's and any
/// other host's) is a real one wrapped in a <see cref="FaultInjectingHypervisor"/>, and a URI can be made unreachable,
/// so that opening it fails as libvirt's would. What a test arms on a connection applies to that connection only; a
/// reconnect opens a new one.
/// </summary>
public sealed class FaultInjectingConnections
{
    private readonly ConcurrentDictionary<string, FaultInjectingHypervisor> _latest = new();
    private readonly ConcurrentDictionary<string, string> _refused = new();
    private readonly ConcurrentDictionary<string, int> _opened = new();

    /// <summary>The factory the portal gets: <paramref name="real"/>, wrapped.</summary>
    public HypervisorFactory Wrap(HypervisorFactory real) => uri =>
    {
        _opened.AddOrUpdate(uri, 1, (_, n) => n + 1);
        if (_refused.TryGetValue(uri, out var reason))
            throw new HypervisorException($"Connecting to {uri}", reason);
        var connection = new FaultInjectingHypervisor(real(uri));
        _latest[uri] = connection;
        return connection;
    };

    /// <summary>The connection most recently opened to <paramref name="uri"/>.</summary>
    public FaultInjectingHypervisor For(string uri) =>
        _latest.TryGetValue(uri, out var c) ? c : throw new InvalidOperationException($"No connection to {uri} has been opened.");

    /// <summary>Whether a connection to <paramref name="uri"/> has been opened.</summary>
    public bool HasOpened(string uri) => _latest.ContainsKey(uri);

    /// <summary>How many times the portal tried to open <paramref name="uri"/>.</summary>
    public int Attempts(string uri) => _opened.GetValueOrDefault(uri);

    /// <summary>From now on, opening <paramref name="uri"/> fails with <paramref name="reason"/> (the host is unreachable).</summary>
    public void Refuse(string uri, string reason) => _refused[uri] = reason;

    /// <summary>Opening <paramref name="uri"/> works again.</summary>
    public void Allow(string uri) => _refused.TryRemove(uri, out _);
}
