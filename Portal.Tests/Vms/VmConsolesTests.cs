using Portal.Core.Vms;

namespace Portal.Tests.Vms;

public sealed class VmConsolesTests
{
    private static System.Xml.Linq.XDocument Live(string devices) => DomainXml.Parse($"<domain><name>v</name><devices>{devices}</devices></domain>");

    [Fact]
    public void Vnc_LoopbackOnTheLocalHost_IsReachedThere()
    {
        var e = VmConsoles.Vnc(Live("<graphics type='vnc' port='5901' autoport='yes' listen='127.0.0.1'><listen type='address' address='127.0.0.1'/></graphics>"), "qemu:///system");
        Assert.Equal(new VncEndpoint("127.0.0.1", 5901), e);
    }

    [Fact]
    public void Vnc_ListeningEverywhereOnARemoteHost_IsReachedAtTheHostName()
    {
        var e = VmConsoles.Vnc(Live("<graphics type='vnc' port='5902' listen='0.0.0.0'/>"), "qemu+ssh://root@node7.example/system");
        Assert.Equal(new VncEndpoint("node7.example", 5902), e);
    }

    [Theory]
    [InlineData("<graphics type='vnc' port='-1' autoport='yes'/>", "qemu:///system", "The VM is not running, so its graphical console is closed.")]
    [InlineData("<graphics type='spice' port='5900'/>", "qemu:///system", "This VM has no graphical console (a <graphics type='vnc'> device).")]
    [InlineData("<graphics type='vnc' port='5900' listen='127.0.0.1'/>", "qemu+ssh://root@node7.example/system",
        "The VM's VNC server listens on 127.0.0.1 of node7.example only, which the portal cannot reach.")]
    [InlineData("<graphics type='vnc' port='5900'><listen type='socket' socket='/run/vnc.sock'/></graphics>", "qemu:///system",
        "The VM's VNC server listens on a local socket, which the portal does not proxy.")]
    public void Vnc_Unreachable_SaysWhy(string graphics, string uri, string reason)
    {
        var ex = Assert.Throws<ConsoleUnavailableException>(() => VmConsoles.Vnc(Live(graphics), uri));
        Assert.Equal(reason, ex.Message);
    }

    [Theory]
    [InlineData("<serial type='pty'><source path='/dev/pts/3'/><log file='/var/log/tiny.log' append='on'/><target port='0'/></serial>", "/var/log/tiny.log")]
    [InlineData("<serial type='file'><source path='/var/log/old.log' append='on'/><target port='0'/></serial>", "/var/log/old.log")]
    [InlineData("<serial type='pty'><target port='0'/></serial>", null)]
    public void SerialLog_PtyWithLogOrFile_IsTheFileItWrites(string serial, string? path) =>
        Assert.Equal(path, SerialConsole.LogPath($"<domain><devices>{serial}</devices></domain>"));
}
