using Microsoft.EntityFrameworkCore;
using Portal.Core.Persistence;
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

    [Fact]
    public async Task Reconcile_VmDefinedAndRecordedAfterTheHostWasListed_IsNotMarkedMissing()
    {
        // An import of a VM just removed (CI, on PostgreSQL): Remove VM's reconcile listed the host before the import
        // defined the domain and read the VM rows after the import recorded it, so the new VM showed as missing.
        var agent = await Portal.VmIdAsync("build-agent");
        var xml = await Portal.Faults.Inner.GetDomainXmlAsync(agent, inactive: true, Ct);
        var import = Portal.Get<VmLocks>().TryAcquire(agent, "Import VM", out _)!;
        await Portal.Faults.Inner.UndefineDomainAsync(agent, Ct);
        // A VM marked missing by mistake would stay so until the host's inventory changes again (the reconcile's own
        // change starts no other reconcile): the flag is read whenever an inventory change is published (the reconcile
        // publishes while it still holds the inventory, so no later reconcile has run yet).
        var seenMissing = new System.Collections.Concurrent.ConcurrentQueue<bool>();
        using var subscription = Portal.Notifier.Subscribe(e =>
        {
            if (e is not VmInventoryChanged) return;
            using var db = Portal.Get<IDbContextFactory<PortalDbContext>>().CreateDbContext();
            seenMissing.Enqueue(db.Vms.AsNoTracking().Single(v => v.Id == agent).IsMissingOnHost);
        });
        var (listed, release) = Portal.Faults.HoldOn(FaultInjectingHypervisor.AfterListDomains);
        var reconcile = Portal.Get<VmInventory>().ReconcileAsync(Ct);
        await listed.WaitAsync(Wait.DefaultTimeout, Ct);

        // The import defines the domain and records the VM (its row is already there), then lets go of the VM.
        await Portal.Faults.Inner.DefineDomainAsync(xml, Ct);
        import.Dispose();
        release.SetResult();
        await reconcile.WaitAsync(Wait.DefaultTimeout, Ct);

        Assert.DoesNotContain(true, seenMissing);
        Assert.False((await Portal.LoadVmAsync(agent)).IsMissingOnHost);
    }
}
