using Portal.Core.Hypervisor;
using Portal.Core.Vms;
using Portal.Tests.Support;

namespace Portal.Tests.Vms;

/// <summary>The shared console sessions against the real libvirt test driver, which has no console to stream.</summary>
public sealed class SerialConsoleSessionsTests() : PortalTest(injectFaults: true)
{
    [Fact]
    public async Task Join_TestDriverHasNoConsole_FailsWithLibvirtsReasonAndKeepsNoSession()
    {
        var web = await Portal.VmIdAsync("web-frontend");
        var sessions = Portal.Get<SerialConsoleSessions>();

        var ex = await Assert.ThrowsAsync<HypervisorException>(() => sessions.JoinAsync(web, "alice", Ct));

        Assert.Equal("Opening the serial console", ex.Operation);
        Assert.Contains("not supported", ex.LibvirtMessage);
        Assert.Null(sessions.WriterOf(web));
    }

    [Fact]
    public async Task Join_AfterAFailedOpen_TriesTheHostAgain()
    {
        var web = await Portal.VmIdAsync("web-frontend");
        var sessions = Portal.Get<SerialConsoleSessions>();
        Portal.Faults.FailOn(nameof(IHypervisor.OpenSerialConsoleAsync), vmId: web);

        var injected = await Assert.ThrowsAsync<HypervisorException>(() => sessions.JoinAsync(web, "alice", Ct));
        var real = await Assert.ThrowsAsync<HypervisorException>(() => sessions.JoinAsync(web, "alice", Ct));

        // The first failure was not cached: the second join reached libvirt, which has its own reason.
        Assert.Contains(FaultInjectingHypervisor.InjectedMessage, injected.LibvirtMessage);
        Assert.Contains("not supported", real.LibvirtMessage);
    }
}
