using System.Net.Sockets;
using System.Text;

namespace Portal.Tests.Api;

/// <summary>
/// libsoup (under libgovirt and virt-viewer) sends its GETs with a 17-byte body (<c>&lt;action&gt;&lt;/action&gt;</c>), and
/// after the 401 challenge re-sends the GET declaring <c>Content-Length: 17</c> with no body. These tests send exactly
/// those bytes (recorded from libgovirt 0.3.9 against the portal) on raw sockets.
/// </summary>
public sealed class LibsoupConnectionTests
{
    private static string Head(Uri server, string path, string? authorization) =>
        $"GET {path} HTTP/1.1\r\nContent-Type: application/xml\r\nContent-Length: 17\r\nAccept-Encoding: gzip, deflate\r\n" +
        $"Connection: Keep-Alive\r\nHost: {server.Authority}\r\n" +
        (authorization is null ? "" : $"Authorization: {authorization}\r\n") +
        "Prefer: persistent-auth\r\nFilter: true\r\nAll-Content: true\r\n\r\n";

    private static string Basic => "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes($"admin@internal:{PortalApiFactory.AdminPassword}"));

    /// <summary>Sends <paramref name="request"/> and reads until the server closes, or 10 s: (what came, whether it closed).</summary>
    private static async Task<(string Reply, bool Closed)> ExchangeAsync(Uri server, params string[] requests)
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(server.Host, server.Port, TestContext.Current.CancellationToken);
        var stream = tcp.GetStream();
        foreach (var r in requests) await stream.WriteAsync(Encoding.ASCII.GetBytes(r), TestContext.Current.CancellationToken);
        var reply = new MemoryStream();
        var buffer = new byte[16 * 1024];
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(10));
        try
        {
            int n;
            while ((n = await stream.ReadAsync(buffer, timeout.Token)) > 0) reply.Write(buffer, 0, n);
            return (Encoding.UTF8.GetString(reply.ToArray()), true);
        }
        catch (OperationCanceledException) when (!TestContext.Current.CancellationToken.IsCancellationRequested)
        {
            return (Encoding.UTF8.GetString(reply.ToArray()), false);
        }
        catch (IOException ex) when (ex.InnerException is SocketException { SocketErrorCode: SocketError.ConnectionReset } && reply.Length > 0)
        {
            // Closed with the client's unread body bytes still queued, the socket resets instead of ending: closed all the same.
            return (Encoding.UTF8.GetString(reply.ToArray()), true);
        }
    }

    [Fact]
    public async Task LibsoupSequence_401ThenGetDeclaringABodyItDoesNotSend_IsAnswered()
    {
        await using var app = PortalApiFactory.OnKestrel();
        await app.InitializeAsync();
        var server = app.BaseAddress;

        // 1. The first GET, without credentials, with the 17-byte body: 401, and the connection is closed, so the
        //    retry cannot land on a connection that still expects a body.
        var (challenge, closed) = await ExchangeAsync(server, Head(server, "/ovirt-engine/api", null) + "<action></action>");
        Assert.StartsWith("HTTP/1.1 401", challenge);
        Assert.Contains("Connection: close", challenge, StringComparison.OrdinalIgnoreCase);
        Assert.True(closed, "the server closes the connection after the 401:\n" + challenge);

        // 2. The retry with credentials declares 17 bytes and sends none: answered, and closed, rather than waited on.
        var (answer, closedAgain) = await ExchangeAsync(server, Head(server, "/ovirt-engine/api/vms", Basic));
        Assert.True(closedAgain, "the server answers without waiting for the declared body:\n" + answer);
        Assert.StartsWith("HTTP/1.1 200", answer);
        Assert.Contains("Connection: close", answer, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("<vms>", answer);
    }

    [Fact]
    public async Task OrdinaryGets_KeepTheConnectionAlive()
    {
        await using var app = PortalApiFactory.OnKestrel();
        await app.InitializeAsync();
        var server = app.BaseAddress;
        string Get(string path, string connection) =>
            $"GET {path} HTTP/1.1\r\nHost: {server.Authority}\r\nAuthorization: {Basic}\r\nConnection: {connection}\r\n\r\n";

        // Two requests on one connection, the second asking to close: both answered on it.
        var (replies, closed) = await ExchangeAsync(server, Get("/ovirt-engine/api", "keep-alive") + Get("/ovirt-engine/api/clusters", "close"));

        Assert.True(closed);
        Assert.Equal(2, replies.Split("HTTP/1.1 200 OK").Length - 1);
        Assert.Contains("<clusters>", replies);
    }
}
