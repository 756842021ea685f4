using System.Net.Sockets;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Portal.Auth;
using Portal.Core.Audit;
using Portal.Core.Hypervisor;
using Portal.Core.Persistence;
using Portal.Core.Vms;

namespace Portal.Consoles;

/// <summary>
/// The consoles' WebSockets. <c>/consoles/vms/{id}/serial</c>: binary frames carry the guest's output and the writer's
/// keystrokes; text frames carry JSON notices (<c>{"type":"role","writer":true,"writerName":"…"}</c>,
/// <c>{"type":"ended","reason":"…"}</c>). <c>/consoles/vms/{id}/vnc?viewer={page's id}</c>: the RFB bytes of the VM's VNC server, both ways; one viewer at a
/// time controls the screen (<see cref="VncViewers"/>), the others' input is dropped (<see cref="RfbInputFilter"/>).
/// Both need a signed-in user allowed to operate VMs (Admin or Helpdesk), asking from the portal's own pages.
/// </summary>
public static partial class ConsoleEndpoints
{
    public const string SerialPath = "/consoles/vms/{0}/serial";
    public const string VncPath = "/consoles/vms/{0}/vnc";

    public static WebApplication MapConsoleEndpoints(this WebApplication app)
    {
        app.UseWebSockets(new WebSocketOptions { KeepAliveInterval = TimeSpan.FromSeconds(20) });
        app.Map("/consoles/vms/{id:guid}/serial", SerialAsync);
        app.Map("/consoles/vms/{id:guid}/vnc", VncAsync);
        return app;
    }

    private sealed record Checked(string UserName, string VmName);

    /// <summary>The refusals every console shares; null (a response already written) when the request may not go on.</summary>
    private static async Task<Checked?> CheckAsync(HttpContext http, Guid id)
    {
        // The cookie goes with every WebSocket a page opens, whoever's page it is: only the portal's own pages may open one.
        var origin = http.Request.Headers.Origin.ToString();
        if (origin.Length > 0 && (!Uri.TryCreate(origin, UriKind.Absolute, out var o) || !string.Equals(o.Authority, http.Request.Host.Value, StringComparison.OrdinalIgnoreCase)))
        {
            http.Response.StatusCode = StatusCodes.Status403Forbidden;
            await http.Response.WriteAsync("A console opens only from the portal's own pages.");
            return null;
        }
        var actor = CurrentActor.From(http.User);
        if (!actor.IsHelpdesk && !actor.IsAdmin)
        {
            http.Response.StatusCode = StatusCodes.Status403Forbidden;
            await http.Response.WriteAsync($"Opening a console needs the Admin or Helpdesk role; {actor.UserName} has neither.");
            return null;
        }
        var dbFactory = http.RequestServices.GetRequiredService<IDbContextFactory<PortalDbContext>>();
        await using var db = await dbFactory.CreateDbContextAsync(http.RequestAborted);
        var name = await db.Vms.AsNoTracking().Where(v => v.Id == id).Select(v => v.Name).FirstOrDefaultAsync(http.RequestAborted);
        if (name is null)
        {
            http.Response.StatusCode = StatusCodes.Status404NotFound;
            await http.Response.WriteAsync($"There is no VM {id}.");
            return null;
        }
        if (!http.WebSockets.IsWebSocketRequest)
        {
            http.Response.StatusCode = StatusCodes.Status400BadRequest;
            await http.Response.WriteAsync("A console is a WebSocket.");
            return null;
        }
        return new(actor.UserName, name);
    }

    private static async Task SerialAsync(HttpContext http, Guid id, SerialConsoleSessions sessions, VmConsoles consoles, AuditLog audit, ILoggerFactory logs)
    {
        if (await CheckAsync(http, id) is not { } who) return;
        SerialConsoleViewer viewer;
        try
        {
            var offer = await consoles.DescribeAsync(id, http.RequestAborted);
            if (offer.SerialUnavailable is { } why) throw new ConsoleUnavailableException(why);
            viewer = await sessions.JoinAsync(id, who.UserName, http.RequestAborted);
        }
        catch (Exception ex) when (ex is ConsoleUnavailableException or HypervisorException)
        {
            var reason = ex is HypervisorException h ? h.LibvirtMessage : ex.Message;
            http.Response.StatusCode = StatusCodes.Status409Conflict;
            await http.Response.WriteAsync(reason);
            return;
        }
        await using (viewer)
        {
            var writer = viewer.IsWriter;
            await audit.WriteAsync(who.UserName, id, who.VmName, Portal.Core.Audit.AuditOperations.OpenSerialConsole, AuditOutcome.Success,
                writer ? $"{who.UserName} opened the serial console of {who.VmName}."
                       : $"{who.UserName} opened the serial console of {who.VmName} read-only ({sessions.WriterOf(id)} types).");
            using var socket = await http.WebSockets.AcceptWebSocketAsync();
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(http.RequestAborted);
            var send = SendFramesAsync(socket, viewer, stop.Token);
            var buffer = new byte[4096];
            try
            {
                while (socket.State == WebSocketState.Open && !send.IsCompleted)
                {
                    var r = await socket.ReceiveAsync(buffer, stop.Token);
                    if (r.MessageType == WebSocketMessageType.Close) break;
                    if (r.Count > 0) await viewer.TypeAsync(buffer.AsMemory(0, r.Count), stop.Token);
                }
            }
            catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or HypervisorException)
            {
                LogSocketEnded(logs.CreateLogger(typeof(ConsoleEndpoints)), id, ex.Message);
            }
            await stop.CancelAsync();
            await send;
            await CloseAsync(socket);
        }
    }

    private static async Task SendFramesAsync(WebSocket socket, SerialConsoleViewer viewer, CancellationToken ct)
    {
        try
        {
            await foreach (var frame in viewer.ReadFramesAsync(ct))
            {
                switch (frame)
                {
                    case ConsoleOutput o:
                        await socket.SendAsync(o.Data, WebSocketMessageType.Binary, true, ct);
                        break;
                    case ConsoleRole r:
                        await socket.SendAsync(JsonSerializer.SerializeToUtf8Bytes(new { type = "role", writer = r.IsWriter, writerName = r.WriterName }),
                            WebSocketMessageType.Text, true, ct);
                        break;
                    case ConsoleEnded e:
                        await socket.SendAsync(JsonSerializer.SerializeToUtf8Bytes(new { type = "ended", reason = e.Reason }), WebSocketMessageType.Text, true, ct);
                        break;
                }
            }
            // The console ended: the browser reconnects once the VM runs again.
            await CloseAsync(socket);
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException) { }
    }

    private static async Task CloseAsync(WebSocket socket, WebSocketCloseStatus status = WebSocketCloseStatus.NormalClosure, string reason = "console closed")
    {
        if (socket.State is not (WebSocketState.Open or WebSocketState.CloseReceived)) return;
        // A close frame's reason holds at most 123 bytes of UTF-8.
        while (Encoding.UTF8.GetByteCount(reason) > 123) reason = reason[..^1];
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
            await socket.CloseOutputAsync(status, reason, timeout.Token);
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException) { }
    }

    private static async Task VncAsync(HttpContext http, Guid id, VmConsoles consoles, VncViewers viewers, AuditLog audit, ILoggerFactory logs)
    {
        if (await CheckAsync(http, id) is not { } who) return;
        VncEndpoint target;
        var tcp = new TcpClient { NoDelay = true };
        try
        {
            target = await consoles.FindVncAsync(id, http.RequestAborted);
            await tcp.ConnectAsync(target.Host, target.Port, http.RequestAborted);
        }
        catch (Exception ex) when (ex is ConsoleUnavailableException or SocketException)
        {
            tcp.Dispose();
            http.Response.StatusCode = StatusCodes.Status409Conflict;
            await http.Response.WriteAsync(ex is SocketException ? $"The VM's VNC server does not answer: {ex.Message}" : ex.Message);
            return;
        }
        // The page names itself (?viewer=), so that it can show the role this connection has.
        using var viewing = viewers.Join(id, Guid.TryParse(http.Request.Query["viewer"], out var v) ? v : Guid.Empty, who.UserName, out var viewer);
        using (tcp)
        {
            var role = viewers.RoleOf(id, viewer);
            await audit.WriteAsync(who.UserName, id, who.VmName, Portal.Core.Audit.AuditOperations.OpenGraphicalConsole, AuditOutcome.Success,
                role is { IsWriter: false }
                    ? $"{who.UserName} opened the graphical console of {who.VmName}, read-only while {role.WriterName} uses it."
                    : $"{who.UserName} opened the graphical console of {who.VmName}.");
            // noVNC asks for the 'binary' subprotocol when told to; the bytes are the same either way.
            var protocol = http.WebSockets.WebSocketRequestedProtocols.Contains("binary") ? "binary" : null;
            using var socket = await http.WebSockets.AcceptWebSocketAsync(protocol);
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(http.RequestAborted);
            var net = tcp.GetStream();
            var toBrowser = Task.Run(async () =>
            {
                var buffer = new byte[64 * 1024];
                int n;
                while ((n = await net.ReadAsync(buffer, stop.Token)) > 0)
                    await socket.SendAsync(buffer.AsMemory(0, n), WebSocketMessageType.Binary, true, stop.Token);
            }, stop.Token);
            // The browser's bytes, message by message: a read-only viewer's input stops here (the server's enforcement;
            // noVNC's viewOnly only keeps the page from pretending). Returns why a read-only viewer was cut off, if it was.
            var toServer = Task.Run(async () =>
            {
                var buffer = new byte[16 * 1024];
                var filter = new RfbInputFilter();
                while (true)
                {
                    var r = await socket.ReceiveAsync(buffer.AsMemory(), stop.Token);
                    if (r.MessageType == WebSocketMessageType.Close) return null;
                    // Asked per message: the role changes when the writer leaves, while this connection stays.
                    var readOnly = !viewers.IsWriter(id, viewer);
                    var forward = filter.Filter(buffer.AsSpan(0, r.Count), readOnly);
                    // A stream the filter cannot follow goes on only for the writer, whose input passes anyway.
                    if (readOnly && filter.Unreadable is { } why) return why;
                    if (forward.Length > 0) await net.WriteAsync(forward, stop.Token);
                }
            }, stop.Token);
            try { await Task.WhenAny(toBrowser, toServer); }
            finally { await stop.CancelAsync(); }
            try { await Task.WhenAll(toBrowser, toServer); }
            catch (Exception ex) when (ex is IOException or WebSocketException or OperationCanceledException or SocketException)
            {
                LogSocketEnded(logs.CreateLogger(typeof(ConsoleEndpoints)), id, ex.Message);
            }
            if (toServer is { IsCompletedSuccessfully: true, Result: { } cutOff })
            {
                LogReadOnlyCutOff(logs.CreateLogger(typeof(ConsoleEndpoints)), id, who.UserName, cutOff);
                await CloseAsync(socket, WebSocketCloseStatus.PolicyViolation, $"Read-only view closed: {cutOff}");
            }
            else await CloseAsync(socket);
        }
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Console socket of VM {VmId} ended: {Reason}")]
    private static partial void LogSocketEnded(ILogger log, Guid vmId, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Read-only graphical console of VM {VmId} for {UserName} closed: {Reason}")]
    private static partial void LogReadOnlyCutOff(ILogger log, Guid vmId, string userName, string reason);
}
