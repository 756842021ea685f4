using Portal.Core.Vms;

namespace Portal.Core.Hosts;

public enum HostState { Connecting, Connected, Disconnected }

/// <summary>
/// A host's connection changed state, or stayed Disconnected with another error. <paramref name="Since"/> is when it
/// entered <paramref name="State"/> (UTC).
/// </summary>
public sealed record HostStateChanged(Guid HostId, string HostName, HostState State, string? Error, DateTime Since) : PortalEvent((Guid?)null)
{
    /// <summary>What a VM of this host is told while the host is not connected.</summary>
    public string NotConnectedReason => HostConnectionInfo.NotConnected(HostName, Error);
}

/// <summary>A host was added to or removed from the portal.</summary>
public sealed record HostsChanged(Guid HostId) : PortalEvent((Guid?)null);

/// <summary>One host's connection as pages and commands see it.</summary>
/// <param name="IsPrimary">The configured host (<c>Libvirt:Uri</c>): storage domains are its pools, and it cannot be removed.</param>
/// <param name="Error">libvirt's reason while Disconnected; null otherwise.</param>
/// <param name="Since">When the host entered <paramref name="State"/> (UTC).</param>
public sealed record HostConnectionInfo(Guid HostId, string Name, string Uri, bool IsPrimary, HostState State, string? Error, DateTime Since)
{
    /// <summary>Why the host's VMs cannot be worked on now; null while it is connected.</summary>
    public string? NotConnectedReason => State == HostState.Connected ? null : NotConnected(Name, Error);

    public static string NotConnected(string hostName, string? error) =>
        $"Host {hostName} is not connected: {error ?? "the portal is still connecting to it"}";
}
