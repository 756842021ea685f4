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

/// <summary>
/// The inventory has reconciled the host's VMs with it since it connected: commands on its VMs may run now
/// (<see cref="HostConnectionInfo.Reconciled"/>).
/// </summary>
public sealed record HostReconciled(Guid HostId) : PortalEvent((Guid?)null);

/// <summary>A host was added to or removed from the portal.</summary>
public sealed record HostsChanged(Guid HostId) : PortalEvent((Guid?)null);

/// <summary>One host's connection as pages and commands see it.</summary>
/// <param name="IsPrimary">The configured host (<c>Libvirt:Uri</c>): storage domains are its pools, and it cannot be removed.</param>
/// <param name="Error">libvirt's reason while Disconnected; null otherwise.</param>
/// <param name="Since">When the host entered <paramref name="State"/> (UTC).</param>
/// <param name="Reconciled">
/// The inventory has brought the host's VMs in line with it since it connected. Until then the database's statuses
/// of its VMs are those of before (a start, a reconnect), so no command may act on them.
/// </param>
public sealed record HostConnectionInfo(Guid HostId, string Name, string Uri, bool IsPrimary, HostState State, string? Error, DateTime Since, bool Reconciled)
{
    /// <summary>Why the host's VMs cannot be worked on now (not connected, or connected but not reconciled yet); null when they can.</summary>
    public string? NotConnectedReason =>
        State != HostState.Connected ? NotConnected(Name, Error) : Reconciled ? null : NotReconciled(Name);

    public static string NotReconciled(string hostName) =>
        $"Host {hostName} is connected, but the portal is still reconciling its VMs with it; try again in a moment.";

    public static string NotConnected(string hostName, string? error) =>
        $"Host {hostName} is not connected: {error ?? "the portal is still connecting to it"}";
}
