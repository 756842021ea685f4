namespace Portal.Tests.Vms;

public class SmokeTests
{
    [Fact]
    public void Libvirt_Version_IsReadable() => Assert.StartsWith("9.", Portal.Core.Libvirt.LibvirtLibrary.Version());
}
