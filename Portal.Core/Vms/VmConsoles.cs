using System.Net;
using System.Xml.Linq;
using Portal.Core.Hosts;
using Portal.Core.Hypervisor;

namespace Portal.Core.Vms;

/// <summary>
/// Which consoles a VM offers, each with the sentence users read when it has none. Null means the console can be opened.
/// </summary>
public sealed record ConsoleOffer(string? SerialUnavailable, string? GraphicsUnavailable)
{
    public bool HasSerial => SerialUnavailable is null;
    public bool HasGraphics => GraphicsUnavailable is null;
}

/// <summary>Where the portal reaches a VM's VNC server.</summary>
public sealed record VncEndpoint(string Host, int Port);

/// <summary>A console that cannot be opened, with the reason users read.</summary>
public sealed class ConsoleUnavailableException(string reason) : Exception(reason);

/// <summary>
/// The consoles of a VM, read from its domain XML: a serial console is a &lt;serial type='pty'&gt; (libvirt streams it,
/// see <see cref="IHypervisor.OpenSerialConsoleAsync"/>), a graphical one a &lt;graphics type='vnc'&gt; whose live
/// port the portal proxies.
/// </summary>
public sealed class VmConsoles(IHypervisor hypervisor, HostConnections hosts)
{
    public const string TestHostMessage =
        "The embedded test host has no console; its VMs run no guest. Add a real libvirt host (qemu:///system) to type into a VM.";

    public async Task<ConsoleOffer> DescribeAsync(Guid vmId, CancellationToken ct = default)
    {
        var connection = await hosts.ForDomainAsync(vmId, ct);
        if (connection.IsTestDriver) return new(TestHostMessage, TestHostMessage);
        var devices = DomainXml.Parse(await hypervisor.GetDomainXmlAsync(vmId, inactive: false, ct)).Root?.Element("devices");
        var serial = devices?.Elements("serial").Any(s => (string?)s.Attribute("type") == "pty") == true
            ? null : "This VM has no serial console (a <serial type='pty'> device).";
        var graphics = devices?.Elements("graphics").Any(g => (string?)g.Attribute("type") == "vnc") == true
            ? null : "This VM has no graphical console (a <graphics type='vnc'> device).";
        return new(serial, graphics);
    }

    /// <summary>The running VM's VNC server, as the portal can reach it.</summary>
    /// <exception cref="ConsoleUnavailableException">No VNC server to reach, with the reason.</exception>
    public async Task<VncEndpoint> FindVncAsync(Guid vmId, CancellationToken ct = default)
    {
        var connection = await hosts.ForDomainAsync(vmId, ct);
        if (connection.IsTestDriver) throw new ConsoleUnavailableException(TestHostMessage);
        string xml;
        try { xml = await hypervisor.GetDomainXmlAsync(vmId, inactive: false, ct); }
        catch (HypervisorException ex) { throw new ConsoleUnavailableException(ex.LibvirtMessage); }
        return Vnc(DomainXml.Parse(xml), connection.Uri);
    }

    /// <summary>The VNC endpoint of a live domain XML on the host of <paramref name="uri"/>.</summary>
    public static VncEndpoint Vnc(XDocument liveXml, string uri)
    {
        var g = liveXml.Root?.Element("devices")?.Elements("graphics").FirstOrDefault(e => (string?)e.Attribute("type") == "vnc")
                ?? throw new ConsoleUnavailableException("This VM has no graphical console (a <graphics type='vnc'> device).");
        // A stopped domain's port is -1 (autoport) or absent: the live XML carries the port QEMU listens on.
        if ((int?)g.Attribute("port") is not { } port || port <= 0)
            throw new ConsoleUnavailableException("The VM is not running, so its graphical console is closed.");
        var listenElement = g.Elements("listen").FirstOrDefault();
        if ((string?)listenElement?.Attribute("type") is "socket" or "none")
            throw new ConsoleUnavailableException("The VM's VNC server listens on a local socket, which the portal does not proxy.");
        var listen = (string?)listenElement?.Attribute("address") ?? (string?)g.Attribute("listen") ?? "127.0.0.1";
        var remoteHost = RemoteHostName(uri);
        var loopback = IPAddress.TryParse(listen, out var ip) && IPAddress.IsLoopback(ip) || listen == "localhost";
        var any = listen is "0.0.0.0" or "::" or "";
        if (remoteHost is null) return new(any ? "127.0.0.1" : listen, port);
        if (loopback)
            throw new ConsoleUnavailableException($"The VM's VNC server listens on {listen} of {remoteHost} only, which the portal cannot reach.");
        return new(any ? remoteHost : listen, port);
    }

    /// <summary>The host name of a remote libvirt URI (qemu+ssh://root@h/system → h); null for a local one.</summary>
    internal static string? RemoteHostName(string uri) =>
        System.Uri.TryCreate(uri, UriKind.Absolute, out var u) && !string.IsNullOrEmpty(u.Host) ? u.Host : null;
}
