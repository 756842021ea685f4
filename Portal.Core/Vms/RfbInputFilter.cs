namespace Portal.Core.Vms;

/// <summary>
/// Reads what a VNC viewer sends to the server (RFB 3.7/3.8, RFC 6143 and the extensions noVNC uses) message by
/// message, so that a read-only viewer's input (keys, pointer, clipboard, desktop size, power actions) never reaches the
/// guest while its requests for the screen still do. The bytes are forwarded unchanged otherwise.
/// </summary>
/// <remarks>
/// The filter must follow the stream from its first byte. A message it does not know cannot be skipped (its length is
/// unknown): the filter then says the stream is <see cref="Unreadable"/>, and the proxy closes a read-only viewer's
/// connection rather than forward what it cannot check.
/// </remarks>
public sealed class RfbInputFilter
{
    private enum Stage { Version, SecurityType, VncAuthResponse, ClientInit, Messages, Unreadable }

    private readonly List<byte> _pending = [];
    private Stage _stage = Stage.Version;

    /// <summary>Why the stream could not be followed; null while it can.</summary>
    public string? Unreadable { get; private set; }

    /// <summary>
    /// Takes the next bytes from the viewer and returns those to send on: everything, except the complete input
    /// messages when <paramref name="readOnly"/>. Bytes of a message not yet complete are kept for the next call.
    /// Once <see cref="Unreadable"/> is set, returns the bytes unchanged (the caller decides what to do).
    /// </summary>
    public byte[] Filter(ReadOnlySpan<byte> input, bool readOnly)
    {
        if (_stage == Stage.Unreadable) return input.ToArray();
        _pending.AddRange(input);
        var output = new List<byte>(_pending.Count);
        var at = 0;
        while (_stage != Stage.Unreadable && Next(at) is { } length && at + length <= _pending.Count)
        {
            var isInput = _stage == Stage.Messages && IsInput(at);
            if (!(readOnly && isInput)) output.AddRange(_pending.GetRange(at, length));
            Advance(at);
            at += length;
        }
        if (_stage == Stage.Unreadable)
        {
            // Forward the rest as it is: the caller closes a read-only viewer.
            output.AddRange(_pending.GetRange(at, _pending.Count - at));
            _pending.Clear();
            return [.. output];
        }
        _pending.RemoveRange(0, at);
        return [.. output];
    }

    /// <summary>The length of the unit that starts at <paramref name="at"/>, or null when more bytes are needed to know it.</summary>
    private int? Next(int at)
    {
        var available = _pending.Count - at;
        switch (_stage)
        {
            case Stage.Version: return 12;
            case Stage.SecurityType:
            case Stage.ClientInit: return 1;
            case Stage.VncAuthResponse: return 16;
        }
        if (available < 1) return null;
        int? Need(int fixedPart, Func<int> rest) => available < fixedPart ? null : fixedPart + rest();
        return _pending[at] switch
        {
            0 => 20,                                                          // SetPixelFormat
            2 => Need(4, () => 4 * U16(at + 2)),                              // SetEncodings
            3 => 10,                                                          // FramebufferUpdateRequest
            4 => 8,                                                           // KeyEvent
            5 => 6,                                                           // PointerEvent (noVNC's 7-byte extended form needs the server's ExtendedMouseButtons, which QEMU does not offer here)
            6 => available < 8 ? null : CutTextLength(S32(at + 4)) is { } n ? 8 + n : null, // ClientCutText
            150 => 10,                                                        // EnableContinuousUpdates
            248 => Need(9, () => _pending[at + 8]),                           // ClientFence
            250 => 4,                                                         // xvp (shutdown, reboot, reset)
            251 => Need(8, () => 16 * _pending[at + 6]),                      // SetDesktopSize
            255 => available < 2 ? null : QemuMessage(at, available),         // QEMU client messages
            var type => Fail($"the viewer sent a message of type {type}, which the portal cannot check"),
        };
    }

    /// <summary>The text's length (negative for the extended clipboard); null, after failing, for one the portal will not hold.</summary>
    private int? CutTextLength(int length)
    {
        var n = length == int.MinValue ? int.MaxValue : Math.Abs(length);
        return n <= MaxCutText ? n : Fail($"the viewer sent {n} bytes of clipboard text, more than the portal relays");
    }

    /// <summary>The most clipboard text one message may carry (the filter holds a message until it is complete).</summary>
    public const int MaxCutText = 1 << 20;

    private int? QemuMessage(int at, int available) => _pending[at + 1] switch
    {
        0 => 12,                                                              // extended key event
        1 => available < 4 ? null : U16(at + 2) switch { 0 or 1 => 4, 2 => 10, var op => Fail($"QEMU audio operation {op}") },
        var sub => Fail($"the viewer sent QEMU message {sub}, which the portal cannot check"),
    };

    private bool IsInput(int at) => _pending[at] switch
    {
        4 or 5 or 6 or 250 or 251 => true,
        255 => _pending[at + 1] == 0,
        _ => false,
    };

    /// <summary>After the unit at <paramref name="at"/>: the handshake's next stage.</summary>
    private void Advance(int at)
    {
        switch (_stage)
        {
            case Stage.Version:
                // "RFB 003.008\n": 3.7 and 3.8 let the client choose the security type; 3.3 does not (and is not used by noVNC).
                var text = System.Text.Encoding.ASCII.GetString(_pending.GetRange(at, 12).ToArray());
                if (!text.StartsWith("RFB 003.", StringComparison.Ordinal) || !int.TryParse(text.AsSpan(8, 3), out var minor) || minor < 7)
                    MarkUnreadable($"the viewer speaks '{text.TrimEnd('\n')}', not RFB 3.7 or 3.8");
                else _stage = Stage.SecurityType;
                break;
            case Stage.SecurityType:
                if (_pending[at] == 1) _stage = Stage.ClientInit;                // None
                else if (_pending[at] == 2) _stage = Stage.VncAuthResponse;      // VNC authentication: a 16-byte response follows
                else MarkUnreadable($"the viewer chose security type {_pending[at]}, which the portal cannot follow");
                break;
            case Stage.VncAuthResponse: _stage = Stage.ClientInit; break;
            case Stage.ClientInit: _stage = Stage.Messages; break;
        }
    }

    private int? Fail(string reason) { MarkUnreadable(reason); return null; }

    private void MarkUnreadable(string reason)
    {
        Unreadable = reason;
        _stage = Stage.Unreadable;
    }

    private int U16(int at) => (_pending[at] << 8) | _pending[at + 1];

    private int S32(int at) => (_pending[at] << 24) | (_pending[at + 1] << 16) | (_pending[at + 2] << 8) | _pending[at + 3];
}
