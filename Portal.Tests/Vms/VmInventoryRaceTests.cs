using Portal.Core.Hypervisor;
using Portal.Core.Vms;
using Portal.Tests.Support;

namespace Portal.Tests.Vms;

/// <summary>The inventory against a host that keeps changing while it reconciles (the fault injector holds it mid-way).</summary>
public sealed class VmInventoryRaceTests() : PortalTest(injectFaults: true)
{
    [Fact]
    public async Task Reconcile_DomainStartedWhileBeingAdded_ShowsTheHostsCurrentState()
    {
        var id = Guid.Parse("6b2f1d63-1e4c-4b6f-8d62-3f1b8c2f0002");
        // The inventory reads a new domain's XML after listing the domains: hold it there.
        var (reached, release) = Portal.Faults.HoldOn(nameof(IHypervisor.GetDomainXmlAsync), id);
        await Portal.Hypervisor.DefineDomainAsync($"""
            <domain type='test'><name>late-starter</name><uuid>{id}</uuid><memory unit='MiB'>256</memory><vcpu>1</vcpu><os><type arch='x86_64'>hvm</type></os></domain>
            """, Ct);
        await reached.WaitAsync(Wait.DefaultTimeout, Ct);

        // Another client starts it before the portal knows the VM: the Started event finds no VM to update.
        await Portal.Faults.Inner.StartAsync(id, Ct);
        release.SetResult();

        await Wait.UntilAsync(() => Portal.Queries.VmAsync(id, Ct), r => r is not null, "late-starter is in the inventory");
        await Portal.WaitForStatusAsync(id, VmStatus.Up);
        Assert.Equal(VmStatus.Up, (await Portal.LoadVmAsync(id)).Status);
    }

    [Fact]
    public async Task Reconcile_DomainStartedAfterTheHostWasListed_KeepsTheVmUp()
    {
        var agent = await Portal.VmIdAsync("build-agent");
        var (listed, release) = Portal.Faults.HoldOn(FaultInjectingHypervisor.AfterListDomains);
        var reconcile = Portal.Get<VmInventory>().ReconcileAsync(Ct);
        await listed.WaitAsync(Wait.DefaultTimeout, Ct);

        // Another client starts build-agent after the inventory read the host, before it applied what it read.
        await Portal.Faults.Inner.StartAsync(agent, Ct);
        await Portal.WaitForStatusAsync(agent, VmStatus.Up);
        var before = await Portal.LastTransitionIdAsync(agent);
        release.SetResult();
        await reconcile.WaitAsync(Wait.DefaultTimeout, Ct);

        Assert.Equal(VmStatus.Up, Portal.Monitor.StatusOf(agent));
        Assert.Equal(VmStatus.Up, (await Portal.LoadVmAsync(agent)).Status);
        Assert.Empty(await Portal.StatusesSinceAsync(agent, before));
    }
}
