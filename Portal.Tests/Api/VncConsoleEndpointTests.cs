using System.Net;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Text;
using System.Xml.Linq;
using Microsoft.Extensions.DependencyInjection;
using Portal.Core;
using Portal.Core.Hosts;
using Portal.Core.Hypervisor;
using Portal.Core.Vms;
using Portal.Tests.Support;
using static Portal.Tests.Api.ApiTestExtensions;

namespace Portal.Tests.Api;

/// <summary>
/// The graphical console's proxy, one writer at a time: two operators open the same VM's screen through the real app;
/// a local TCP server stands in for QEMU's VNC server at the port of the VM's live XML (the embedded test driver's
/// connection answers as a real host's, the only thing changed), and reads what the proxy lets through.
/// </summary>
public sealed class VncConsoleEndpointTests : IAsyncLifetime
{
    private static readonly byte[] Handshake = [.. Encoding.ASCII.GetBytes("RFB 003.008\n"), 1 /* security None */, 1 /* ClientInit, shared */];
    private static readonly byte[] UpdateRequest = [3, 1, 0, 0, 0, 0, 2, 128, 1, 224];
    private static readonly byte[] Key = [4, 1, 0, 0, 0, 0, 0, 0x61];
    private static readonly byte[] Pointer = [5, 1, 0, 10, 0, 20];

    /// <summary>How long a byte or a close may take to come through the proxy before the test fails rather than hangs.</summary>
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    private readonly FaultInjectingConnections _connections = new();
    private readonly PortalApiFactory _app;
    private readonly TcpListener _vncServer = new(IPAddress.Loopback, 0);
    private readonly List<IDisposable> _open = [];

    public VncConsoleEndpointTests() => _app = new PortalApiFactory { Connections = _connections };

    private Guid Vm => PortalApiFactory.BuildAgent;

    public async ValueTask InitializeAsync()
    {
        await _app.InitializeAsync();
        _vncServer.Start();
        // build-agent (down) gets a VNC server at the listener's port, then runs: its live XML carries that port.
        var hypervisor = _app.Services.GetRequiredService<IHypervisor>();
        var xml = XDocument.Parse(await hypervisor.GetDomainXmlAsync(Vm, inactive: true, Ct));
        xml.Root!.Element("devices")!.Element("graphics")!.ReplaceWith(new XElement("graphics", new XAttribute("type", "vnc"),
            new XAttribute("port", ((IPEndPoint)_vncServer.LocalEndpoint).Port), new XAttribute("autoport", "no"), new XAttribute("listen", "127.0.0.1")));
        await hypervisor.DefineDomainAsync(xml.ToString(), Ct);
        await hypervisor.StartAsync(Vm, Ct);
        _connections.For(_app.Services.GetRequiredService<HostConnections>().PrimaryUri).PosesAsRealHost = true;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var d in _open) d.Dispose();
        _vncServer.Stop();
        await _app.DisposeAsync();
    }

    [Fact]
    public async Task GraphicalConsole_SecondViewer_ItsInputDroppedUntilTheWriterLeaves()
    {
        var viewers = _app.Services.GetRequiredService<VncViewers>();
        var (admin, adminOnServer) = await OpenAsync("admin", PortalApiFactory.AdminPassword, Guid.NewGuid());
        var helenPage = Guid.NewGuid();
        var (helen, helenOnServer) = await OpenAsync(PortalApiFactory.HelpdeskUser, PortalApiFactory.HelpdeskPassword, helenPage);

        await SendAsync(admin, [.. Handshake, .. Key, .. Pointer, .. UpdateRequest]);
        await SendAsync(helen, [.. Handshake, .. Key, .. Pointer, .. UpdateRequest]);

        // The writer's bytes arrive as sent; the read-only viewer's handshake and screen requests arrive, its keys and pointer do not.
        byte[] all = [.. Handshake, .. Key, .. Pointer, .. UpdateRequest], screenOnly = [.. Handshake, .. UpdateRequest];
        Assert.Equal(all, await ReadAsync(adminOnServer, all.Length));
        Assert.Equal(screenOnly, await ReadAsync(helenOnServer, screenOnly.Length));
        var audit = await _app.Services.GetRequiredService<PortalQueries>().AuditAsync(50, Vm, ct: Ct);
        Assert.Contains(audit, e => e.Operation == "Open graphical console" && e.Message == "admin opened the graphical console of build-agent.");
        Assert.Contains(audit, e => e.Operation == "Open graphical console"
            && e.Message == $"{PortalApiFactory.HelpdeskUser} opened the graphical console of build-agent, read-only while admin uses it.");

        // The writer leaves: the viewer that stayed controls the screen from then on, on the same connection.
        var handedOver = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        viewers.Changed += vm => { if (vm == Vm && viewers.IsWriter(Vm, helenPage)) handedOver.TrySetResult(); };
        await admin.CloseAsync(WebSocketCloseStatus.NormalClosure, "leaving", Ct);
        await handedOver.Task.WaitAsync(Patience, Ct);
        byte[] typed = [.. Key, .. UpdateRequest];
        await SendAsync(helen, typed);

        Assert.Equal(typed, await ReadAsync(helenOnServer, typed.Length));
    }

    [Fact]
    public async Task GraphicalConsole_ReadOnlyViewerSendsWhatThePortalCannotCheck_ClosedWithTheReason()
    {
        await OpenAsync("admin", PortalApiFactory.AdminPassword, Guid.NewGuid());
        var (helen, helenOnServer) = await OpenAsync(PortalApiFactory.HelpdeskUser, PortalApiFactory.HelpdeskPassword, Guid.NewGuid());

        await SendAsync(helen, Handshake);
        Assert.Equal(Handshake, await ReadAsync(helenOnServer, Handshake.Length));
        await SendAsync(helen, [7, 0, 0, 0, .. Key]);

        var closed = await helen.ReceiveAsync(new byte[64], Ct).WaitAsync(Patience, Ct);
        Assert.Equal(WebSocketMessageType.Close, closed.MessageType);
        Assert.Equal(WebSocketCloseStatus.PolicyViolation, closed.CloseStatus);
        Assert.Equal("Read-only view closed: the viewer sent a message of type 7, which the portal cannot check", closed.CloseStatusDescription);
        // Nothing after the handshake reached the server: the proxy closed its side.
        Assert.Equal(0, await helenOnServer.ReadAsync(new byte[16], Ct).AsTask().WaitAsync(Patience, Ct));
    }

    /// <summary>Signs in, opens the VM's graphical console as the page would (?viewer=), and takes the proxy's connection on the server side.</summary>
    private async Task<(WebSocket Browser, NetworkStream OnServer)> OpenAsync(string user, string password, Guid viewer)
    {
        using var client = _app.Anonymous();
        var cookie = await ConsoleEndpointTests.SignInAsync(client, user, password);
        var ws = _app.Server.CreateWebSocketClient();
        ws.ConfigureRequest = r => r.Headers["Cookie"] = cookie;
        var browser = await ws.ConnectAsync(new Uri(_app.Server.BaseAddress, $"/consoles/vms/{Vm}/vnc?viewer={viewer}"), Ct);
        var onServer = await _vncServer.AcceptTcpClientAsync(Ct);
        _open.Add(browser);
        _open.Add(onServer);
        return (browser, onServer.GetStream());
    }

    private static Task SendAsync(WebSocket socket, byte[] bytes) =>
        socket.SendAsync(bytes, WebSocketMessageType.Binary, endOfMessage: true, Ct);

    private static async Task<byte[]> ReadAsync(NetworkStream stream, int count)
    {
        var bytes = new byte[count];
        await stream.ReadExactlyAsync(bytes, Ct).AsTask().WaitAsync(Patience, Ct);
        return bytes;
    }
}
