using System.Text;
using Portal.Core.Vms;

namespace Portal.Tests.Vms;

/// <summary>
/// One operator at a time controls a VM's screen: the VNC proxy drops a read-only viewer's input messages (RFB, as
/// noVNC sends them) and keeps its requests for the screen; the viewers' registry says who controls it.
/// </summary>
public sealed class VncReadOnlyTests
{
    private static readonly byte[] Handshake = [.. Encoding.ASCII.GetBytes("RFB 003.008\n"), 1 /* security None */, 1 /* ClientInit, shared */];
    private static readonly byte[] SetPixelFormat = [0, 0, 0, 0, 32, 24, 0, 1, 0, 255, 0, 255, 0, 255, 16, 8, 0, 0, 0, 0];
    private static readonly byte[] SetEncodings = [2, 0, 0, 2, 0, 0, 0, 7, 0xFF, 0xFF, 0xFF, 0x21];
    private static readonly byte[] UpdateRequest = [3, 1, 0, 0, 0, 0, 2, 128, 1, 224];
    private static readonly byte[] Key = [4, 1, 0, 0, 0, 0, 0, 0x61];
    private static readonly byte[] Pointer = [5, 1, 0, 10, 0, 20];
    private static readonly byte[] CutText = [6, 0, 0, 0, 0, 0, 0, 3, (byte)'a', (byte)'b', (byte)'c'];
    private static readonly byte[] QemuKey = [255, 0, 0, 1, 0, 0, 0, 0x61, 0, 0, 0, 0x1e];
    private static readonly byte[] Fence = [248, 0, 0, 0, 0, 0, 0, 3, 2, 9, 9];
    private static readonly byte[] Continuous = [150, 1, 0, 0, 0, 0, 2, 128, 1, 224];
    private static readonly byte[] Xvp = [250, 0, 1, 2];
    private static readonly byte[] DesktopSize = [251, 0, 4, 0, 3, 0, 1, 0, .. new byte[16]];

    private static byte[][] Session => [Handshake, SetPixelFormat, SetEncodings, UpdateRequest, Key, Pointer, CutText, QemuKey, Fence, Continuous, Xvp, DesktopSize, UpdateRequest];

    /// <summary>Feeds the bytes in chunks of <paramref name="chunk"/>, as WebSocket frames may cut them anywhere.</summary>
    private static byte[] Run(RfbInputFilter filter, byte[] bytes, int chunk, bool readOnly)
    {
        var output = new List<byte>();
        for (var at = 0; at < bytes.Length; at += chunk)
            output.AddRange(filter.Filter(bytes.AsSpan(at, Math.Min(chunk, bytes.Length - at)), readOnly));
        return [.. output];
    }

    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(4096)]
    public void Writer_EveryMessageGoesThroughUnchanged(int chunk)
    {
        var all = Session.SelectMany(m => m).ToArray();
        var filter = new RfbInputFilter();

        Assert.Equal(all, Run(filter, all, chunk, readOnly: false));
        Assert.Null(filter.Unreadable);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(5)]
    [InlineData(4096)]
    public void ReadOnly_InputDroppedScreenRequestsKept(int chunk)
    {
        var filter = new RfbInputFilter();

        var passed = Run(filter, Session.SelectMany(m => m).ToArray(), chunk, readOnly: true);

        // Keys, pointer, clipboard, QEMU's key event, power actions (xvp) and the desktop size never reach the server.
        byte[][] kept = [Handshake, SetPixelFormat, SetEncodings, UpdateRequest, Fence, Continuous, UpdateRequest];
        Assert.Equal(kept.SelectMany(m => m).ToArray(), passed);
        Assert.Null(filter.Unreadable);
    }

    [Fact]
    public void HandOver_ReadOnlyViewerBecomesWriter_ItsKeysPassFromThen()
    {
        var filter = new RfbInputFilter();
        Run(filter, [.. Handshake, .. Key], 3, readOnly: true);

        Assert.Equal(Key, Run(filter, Key, 3, readOnly: false));
    }

    [Theory]
    [InlineData(new byte[] { 7, 0, 0, 0 }, "type 7")]
    [InlineData(new byte[] { 6, 0, 0, 0, 0x80, 0, 0, 0 }, "clipboard")]
    [InlineData(new byte[] { 6, 0, 0, 0, 0x7F, 0xFF, 0xFF, 0xFF }, "clipboard")]
    [InlineData(new byte[] { 255, 9, 0, 0 }, "QEMU message 9")]
    public void UnknownOrHostileMessage_IsUnreadableWithTheReason_NeverThrows(byte[] message, string reason)
    {
        var filter = new RfbInputFilter();

        var passed = Run(filter, [.. Handshake, .. message], 64, readOnly: true);

        Assert.Contains(reason, filter.Unreadable);
        Assert.Equal(Handshake, passed[..Handshake.Length]);
    }

    [Fact]
    public void OldProtocolOrOtherSecurity_IsUnreadable()
    {
        var v33 = new RfbInputFilter();
        v33.Filter(Encoding.ASCII.GetBytes("RFB 003.003\n"), readOnly: true);
        Assert.Contains("RFB 003.003", v33.Unreadable);

        var vencrypt = new RfbInputFilter();
        vencrypt.Filter([.. Encoding.ASCII.GetBytes("RFB 003.008\n"), 19], readOnly: true);
        Assert.Contains("security type 19", vencrypt.Unreadable);

        var vncAuth = new RfbInputFilter();
        Assert.Empty(vncAuth.Filter([.. Encoding.ASCII.GetBytes("RFB 003.008\n"), 2, .. new byte[16], 1, .. Key], readOnly: true)[30..]);
        Assert.Null(vncAuth.Unreadable);
    }

    [Fact]
    public void Viewers_FirstControlsTheOthersWatchNamingIt_TheNextTakesOverWhenItLeaves()
    {
        var viewers = new VncViewers();
        var vm = Guid.NewGuid();
        var changes = new List<Guid>();
        viewers.Changed += changes.Add;
        var alicePage = Guid.NewGuid();

        var alice = viewers.Join(vm, alicePage, "alice", out var aliceId);
        using var bob = viewers.Join(vm, Guid.Empty, "bob", out var bobId);
        using var other = viewers.Join(Guid.NewGuid(), Guid.NewGuid(), "carol", out _);

        Assert.Equal(alicePage, aliceId);
        Assert.Equal(new VncViewers.Role(true, "alice"), viewers.RoleOf(vm, aliceId));
        Assert.Equal(new VncViewers.Role(false, "alice"), viewers.RoleOf(vm, bobId));
        Assert.False(viewers.IsWriter(vm, bobId));

        alice.Dispose();
        alice.Dispose();

        Assert.Null(viewers.RoleOf(vm, aliceId));
        Assert.Equal(new VncViewers.Role(true, "bob"), viewers.RoleOf(vm, bobId));
        Assert.True(viewers.IsWriter(vm, bobId));
        Assert.Equal(4, changes.Count); // three joins, one leave (the second Dispose does nothing)
    }

    [Fact]
    public void Viewers_AnIdAlreadyInUse_GetsANewOne()
    {
        var viewers = new VncViewers();
        var vm = Guid.NewGuid();
        var page = Guid.NewGuid();

        using var first = viewers.Join(vm, page, "alice", out var firstId);
        using var second = viewers.Join(vm, page, "mallory", out var secondId);

        Assert.Equal(page, firstId);
        Assert.NotEqual(page, secondId);
        Assert.True(viewers.IsWriter(vm, page));
    }
}
