using Microsoft.Extensions.Logging.Abstractions;
using Portal.Core.Hypervisor;
using Portal.Core.Libvirt;

namespace Portal.Tests.Libvirt;

/// <summary>Opening connections to hosts other than the embedded one: how the URI is handed to libvirt, and what a refusal says.</summary>
public sealed class LibvirtConnectionTests
{
    [Theory]
    [InlineData("qemu+ssh://root@kvm2/system", "qemu+ssh://root@kvm2/system?no_tty=1")]
    [InlineData("qemu+ssh://root@kvm2/system?keyfile=/root/.ssh/portal", "qemu+ssh://root@kvm2/system?keyfile=/root/.ssh/portal&no_tty=1")]
    [InlineData("qemu+ssh://root@kvm2/system?no_tty=0", "qemu+ssh://root@kvm2/system?no_tty=0")]
    [InlineData("qemu+tcp://kvm2/system", "qemu+tcp://kvm2/system")]
    [InlineData("qemu+libssh2://root@kvm2/system", "qemu+libssh2://root@kvm2/system")]
    [InlineData("qemu:///system", "qemu:///system")]
    public void WithoutPasswordPrompt_SshTransport_AsksSshNotToPrompt(string uri, string opened)
    {
        Assert.Equal(opened, LibvirtHypervisor.WithoutPasswordPrompt(uri));
    }

    [Fact]
    public void Open_PortWhereNothingListens_FailsWithLibvirtsReason()
    {
        const string uri = "qemu+tcp://127.0.0.1:1/system";

        var ex = Assert.Throws<HypervisorException>(() => LibvirtHypervisor.Open(uri, NullLogger.Instance, new(TimeSpan.FromSeconds(5), 3)));

        Assert.StartsWith("unable to connect to server at '127.0.0.1:1': Connection refused", ex.LibvirtMessage);
        Assert.StartsWith($"Connecting to {uri} failed: ", ex.Message);
    }
}
