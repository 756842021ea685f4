using System.Text;

namespace Portal.Core.Vms;

/// <summary>
/// A serial console log's bytes as text to read: terminal control sequences (a shell's cursor queries, colours, titles)
/// and other control characters are dropped, not shown as boxes. A chunk that ends inside a character or a sequence
/// stops before it, so the next read starts there and nothing is shown torn.
/// </summary>
public static class ConsoleLogText
{
    private const char Esc = '\u001b';
    private const char Bel = '\u0007';

    /// <summary>The text of <paramref name="bytes"/>, and how many of them it used (the rest is read again next time).</summary>
    public static (string Text, int Consumed) Read(ReadOnlySpan<byte> bytes)
    {
        var whole = bytes.Length - TornCharacterBytes(bytes);
        var text = Encoding.UTF8.GetString(bytes[..whole]);
        var result = new StringBuilder(text.Length);
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (c == Esc)
            {
                var end = SequenceEnd(text, i);
                if (end < 0) return (result.ToString(), Encoding.UTF8.GetByteCount(text.AsSpan(0, i)));
                i = end;
            }
            else if (c is '\n' or '\t' || !char.IsControl(c)) result.Append(c);
        }
        return (result.ToString(), whole);
    }

    /// <summary>The index of the last character of the sequence that starts at <paramref name="start"/>; -1 when the text ends first.</summary>
    private static int SequenceEnd(string text, int start)
    {
        if (start + 1 >= text.Length) return -1;
        switch (text[start + 1])
        {
            case '[': // CSI: parameters and intermediates, then one final character from @ to ~
                for (var i = start + 2; i < text.Length; i++)
                    if (text[i] is >= '@' and <= '~') return i;
                return -1;
            case ']' or 'P' or '_' or '^': // OSC, DCS, APC, PM: up to BEL or ESC \
                for (var i = start + 2; i < text.Length; i++)
                {
                    if (text[i] == Bel) return i;
                    if (text[i] == Esc) return i + 1 < text.Length ? i + 1 : -1;
                }
                return -1;
            default: // a two-character sequence (ESC 7, ESC =, ESC c…)
                return start + 1;
        }
    }

    /// <summary>How many bytes at the end begin a UTF-8 character that is not complete yet.</summary>
    private static int TornCharacterBytes(ReadOnlySpan<byte> bytes)
    {
        for (var back = 1; back <= Math.Min(3, bytes.Length); back++)
        {
            var b = bytes[^back];
            if ((b & 0xC0) == 0x80) continue; // a continuation byte: look further back for its lead
            var length = b >= 0xF0 ? 4 : b >= 0xE0 ? 3 : b >= 0xC0 ? 2 : 1;
            return length > back ? back : 0;
        }
        return 0;
    }
}
