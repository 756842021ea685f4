using System.Text;
using Portal.Core.Vms;

namespace Portal.Tests.Vms;

public sealed class ConsoleLogTextTests
{
    private static (string Text, int Consumed) Read(string raw) => ConsoleLogText.Read(Encoding.UTF8.GetBytes(raw));

    [Fact]
    public void Read_AShellPromptWithACursorQuery_ShowsThePromptOnly()
    {
        // busybox ash asks for the cursor position (ESC [ 6 n) before each prompt, as the real guest's log shows.
        var raw = "guest# \u001b[6nCOUNTER 1 boot_id=b1\r\n";
        Assert.Equal(("guest# COUNTER 1 boot_id=b1\n", Encoding.UTF8.GetByteCount(raw)), Read(raw));
    }

    [Theory]
    [InlineData("\u001b[1;31mred\u001b[0m plain", "red plain")]          // colours
    [InlineData("\u001b]0;title\u0007after", "after")]                  // a window title, ended by BEL
    [InlineData("\u001b]2;title\u001b\\after", "after")]                // … or by ESC \
    [InlineData("a\u001b7b\u001b8c", "abc")]                            // save and restore the cursor
    [InlineData("tab\there\u0008\u0000\u007f!", "tab\there!")]          // controls other than newline and tab
    [InlineData("héllo ✓ 𝄞", "héllo ✓ 𝄞")]                              // text beyond ASCII is kept
    public void Read_ControlSequencesAndCharacters_AreDropped(string raw, string shown) =>
        Assert.Equal((shown, Encoding.UTF8.GetByteCount(raw)), Read(raw));

    [Theory]
    [InlineData("done\u001b")]
    [InlineData("done\u001b[")]
    [InlineData("done\u001b[12;4")]
    [InlineData("done\u001b]0;a title not ended yet")]
    [InlineData("done\u001b]0;title\u001b")]
    public void Read_EndingInsideASequence_StopsBeforeIt(string raw)
    {
        var (text, consumed) = Read(raw);
        Assert.Equal(("done", 4), (text, consumed));
    }

    [Fact]
    public void Read_EndingInsideACharacter_StopsBeforeIt_AndTheNextReadGetsItWhole()
    {
        var bytes = Encoding.UTF8.GetBytes("ok ✓𝄞");
        foreach (var cut in new[] { bytes.Length - 1, bytes.Length - 2, bytes.Length - 3, bytes.Length - 5 })
        {
            var (text, consumed) = ConsoleLogText.Read(bytes.AsSpan(0, cut));
            var (rest, restConsumed) = ConsoleLogText.Read(bytes.AsSpan(consumed));
            Assert.Equal("ok ✓𝄞", text + rest);
            Assert.Equal(bytes.Length, consumed + restConsumed);
            Assert.DoesNotContain('\uFFFD', text);
        }
    }
}
