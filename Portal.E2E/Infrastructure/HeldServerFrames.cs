using System.Text;
using System.Text.RegularExpressions;

namespace Portal.E2E.Infrastructure;

/// <summary>
/// Holds back what the portal sends a page over its Blazor connection, so that a test can use the page as it still looks
/// while the server has moved on: a button the browser shows enabled that the server has already disabled. What the page
/// sends goes through at once. Routed before the page opens its connection; every connection the page opens is held.
/// </summary>
public sealed class HeldServerFrames
{
    private readonly Lock _gate = new();
    private readonly List<(IWebSocketRoute Page, IWebSocketFrame Frame)> _held = [];
    private bool _holding;

    public static async Task<HeldServerFrames> RouteAsync(IPage page)
    {
        var frames = new HeldServerFrames();
        await page.RouteWebSocketAsync(new Regex("/_blazor"), frames.Connect);
        return frames;
    }

    /// <summary>Whether a held frame carries <paramref name="text"/>: a render the page has not seen shows it.</summary>
    public bool Holds(string text)
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        lock (_gate) return _held.Any(h => h.Frame.Binary is { } b && b.AsSpan().IndexOf(bytes) >= 0);
    }

    public void Hold()
    {
        lock (_gate) _holding = true;
    }

    /// <summary>Sends the page what was held, in order, and lets everything through from now on.</summary>
    public void Release()
    {
        lock (_gate)
        {
            _holding = false;
            foreach (var (page, frame) in _held) Forward(page, frame);
            _held.Clear();
        }
    }

    private void Connect(IWebSocketRoute page)
    {
        var server = page.ConnectToServer();
        page.OnMessage(frame => Forward(server, frame));
        server.OnMessage(frame =>
        {
            lock (_gate)
            {
                if (_holding) _held.Add((page, frame));
                else Forward(page, frame);
            }
        });
    }

    private static void Forward(IWebSocketRoute to, IWebSocketFrame frame)
    {
        if (frame.Binary is { } bytes) to.Send(bytes);
        else to.Send(frame.Text!);
    }
}
