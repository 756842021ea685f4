using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Portal.Core.Audit;
using Portal.Core.Hypervisor;
using Portal.Core.Snapshots;
using Portal.Core.Vms;
using Portal.Tests.Support;

namespace Portal.Tests.Vms;

/// <summary>Domains defined or removed by another client of the host are reconciled into the inventory.</summary>
public sealed class VmInventoryTests() : PortalTest(injectFaults: true)
{
    private const string NewDomainXml = """
        <domain type='test'>
          <name>reports-2</name>
          <uuid>6b2f1d63-1e4c-4b6f-8d62-3f1b8c2f0001</uuid>
          <metadata><p:vm xmlns:p='urn:ramsnap:portal'><p:cluster>Legacy</p:cluster><p:stateless>true</p:stateless></p:vm></metadata>
          <memory unit='MiB'>768</memory>
          <vcpu>1</vcpu>
          <os><type arch='x86_64'>hvm</type></os>
        </domain>
        """;

    [Fact]
    public async Task Reconcile_DomainDefinedByAnotherClient_AppearsWithTheClusterFromItsMetadata()
    {
        var id = Guid.Parse("6b2f1d63-1e4c-4b6f-8d62-3f1b8c2f0001");

        await Portal.Hypervisor.DefineDomainAsync(NewDomainXml, Ct);

        var row = await Wait.UntilAsync(() => Portal.Queries.VmAsync(id, Ct), r => r is not null, "the new domain is in the inventory");
        Assert.Equal(("reports-2", "Legacy", true, 768, VmStatus.Down), (row!.Name, row.Cluster, row.IsStateless, row.MemoryMiB, row.Status));
        Assert.False(row.ClusterSupportsMemory);
    }

    [Fact]
    public async Task Reconcile_WhatAnotherClientChanged_IsAudited_DiscoveredMissingAndBack()
    {
        var id = Guid.Parse("6b2f1d63-1e4c-4b6f-8d62-3f1b8c2f0001");
        var host = (await Portal.Queries.VmAsync(await Portal.VmIdAsync("web-frontend"), Ct))!.Host;

        await Portal.Hypervisor.DefineDomainAsync(NewDomainXml, Ct);
        var discovered = Assert.Single(await Wait.UntilAsync(() => Portal.AuditAsync(id), a => a.Count > 0, "the discovery is audited"));
        Assert.Equal(("system", "reports-2", AuditOperations.DiscoverVm, AuditOutcome.Success), (discovered.User, discovered.VmName, discovered.Operation, discovered.Outcome));
        Assert.Equal($"VM reports-2 was found on host {host} and added to cluster Legacy: the portal did not know its domain (defined by another client of the host).", discovered.Message);

        await Portal.Hypervisor.UndefineDomainAsync(id, Ct);
        var missing = (await Wait.UntilAsync(() => Portal.AuditAsync(id), a => a.Count > 1, "the VM gone is audited"))[1];
        Assert.Equal((AuditOperations.VmMissingOnHost, AuditOutcome.Warning), (missing.Operation, missing.Outcome));
        Assert.StartsWith($"VM reports-2 is no longer on host {host}: its domain is not defined there", missing.Message);

        await Portal.Hypervisor.DefineDomainAsync(NewDomainXml, Ct);
        var back = (await Wait.UntilAsync(() => Portal.AuditAsync(id), a => a.Count > 2, "the VM back is audited"))[2];
        Assert.Equal((AuditOperations.VmBackOnHost, $"VM reports-2 is on host {host} again: its domain was defined there anew."), (back.Operation, back.Message));
        await Portal.Background.WhenIdleAsync().WaitAsync(Wait.DefaultTimeout, Ct);
        Assert.Equal(3, (await Portal.AuditAsync(id)).Count); // once each
    }

    [Fact]
    public async Task Reconcile_ManyDomainsDefinedAtOnce_OneAuditEntryNamesTheFirstOfThem()
    {
        // Held before its list, one reconcile finds every domain defined meanwhile (a script cloning VMs, say).
        var (listed, release) = Portal.Faults.HoldOn(nameof(IHypervisor.ListDomainsAsync));
        Portal.Notifier.Publish(new VmInventoryChanged());
        await listed.WaitAsync(Wait.DefaultTimeout, Ct);
        var count = VmInventory.EntriesPerVm + 5;
        for (var i = 0; i < count; i++)
            await Portal.Hypervisor.DefineDomainAsync(NewDomainXml.Replace("reports-2", $"batch-{i:00}").Replace("0001</uuid>", $"{i + 100:0000}</uuid>"), Ct);
        release.SetResult();
        await Wait.UntilAsync(() => Portal.Queries.VmsAsync(Ct), vms => vms.Count(v => v.Name.StartsWith("batch-", StringComparison.Ordinal)) == count, "every domain is in the inventory");
        await Portal.Background.WhenIdleAsync().WaitAsync(Wait.DefaultTimeout, Ct);

        await using var db = await Portal.DbAsync();
        var entry = Assert.Single(await db.AuditEntries.Where(a => a.Operation == AuditOperations.DiscoverVm).ToListAsync(Ct));
        Assert.Null(entry.VmId);
        Assert.StartsWith($"{count} VMs (batch-00, batch-01, batch-02, batch-03, batch-04, batch-05, batch-06, batch-07, batch-08, batch-09 and {count - 10} more) were found on host ", entry.Message);
    }

    [Fact]
    public async Task Reconcile_DomainUndefinedByAnotherClient_IsMarkedMissingOnHost()
    {
        var reports = await Portal.VmIdAsync("legacy-reports");

        await Portal.Hypervisor.UndefineDomainAsync(reports, Ct);

        await Wait.UntilAsync(() => Portal.Queries.VmAsync(reports, Ct), r => r!.IsMissingOnHost, "legacy-reports is marked missing");
        Assert.StartsWith("The VM no longer exists on its host.", Portal.Get<RunVmCommand>().WhyRefused((await Portal.Queries.VmAsync(reports, Ct))!.Facts)?.Reason);
    }

    [Fact]
    public async Task Reconcile_AfterTheHostsFirst_DoesNotAskForTheSnapshotsOfVmsItAlreadyHad()
    {
        var (web, s1) = await Portal.WebFrontendStoppedWithMemorySnapshotAsync();
        var asked = Portal.Faults.Calls(nameof(IHypervisor.ListSnapshotNamesAsync), web);
        var lists = Portal.Faults.Calls(nameof(IHypervisor.ListDomainsAsync));

        await Portal.Hypervisor.DefineDomainAsync(NewDomainXml, Ct); // an inventory change: the host is reconciled again
        await Wait.UntilAsync(() => Portal.Queries.VmAsync(Guid.Parse("6b2f1d63-1e4c-4b6f-8d62-3f1b8c2f0001"), Ct), r => r is not null, "the new domain is in the inventory");
        // The reconcile lists the host first and again last, after the snapshot records.
        await Wait.UntilAsync(() => Portal.Faults.Calls(nameof(IHypervisor.ListDomainsAsync)) >= lists + 2, "the reconcile has ended");

        // At 5,000 VMs that was a libvirt call per VM with snapshots on every inventory change.
        Assert.Equal(asked, Portal.Faults.Calls(nameof(IHypervisor.ListSnapshotNamesAsync), web));
        Assert.Contains(s1.ToString(), await Portal.Hypervisor.ListSnapshotNamesAsync(web, Ct));
    }

    [Fact]
    public async Task Reconcile_VmDefinedAgainWithoutItsSnapshotRecords_GetsThemBack()
    {
        var (web, s1) = await Portal.WebFrontendStoppedWithMemorySnapshotAsync();
        var xml = await Portal.Hypervisor.GetDomainXmlAsync(web, inactive: true, Ct);
        await Portal.Hypervisor.UndefineDomainAsync(web, Ct); // another client: the domain and its snapshot records go
        await Wait.UntilAsync(() => Portal.Queries.VmAsync(web, Ct), r => r!.IsMissingOnHost, "web-frontend is marked missing");

        await Portal.Hypervisor.DefineDomainAsync(xml, Ct);

        await Wait.UntilAsync(() => Portal.Queries.VmAsync(web, Ct), r => !r!.IsMissingOnHost, "web-frontend is found again");
        // Asked of the host's connection itself, not through the portal's router (which would give it back on the way).
        await Wait.UntilAsync(() => Portal.Faults.ListSnapshotNamesAsync(web, Ct), names => names.Contains(s1.ToString()), "its snapshot is on the host again");
    }

    [Fact]
    public async Task Reconcile_VmDefinedAgain_DoesNotWaitForItsSnapshotRecords_ASnapshotCallAboutItDoes()
    {
        var (web, s1) = await Portal.WebFrontendStoppedWithMemorySnapshotAsync();
        var xml = await Portal.Hypervisor.GetDomainXmlAsync(web, inactive: true, Ct);
        await Portal.Hypervisor.UndefineDomainAsync(web, Ct);
        await Wait.UntilAsync(() => Portal.Queries.VmAsync(web, Ct), r => r!.IsMissingOnHost, "web-frontend is marked missing");
        var (redefining, release) = Portal.Faults.HoldOn(nameof(IHypervisor.RedefineSnapshotAsync), web);

        await Portal.Hypervisor.DefineDomainAsync(xml, Ct);

        // The background check gives the record back, with nothing asking about web-frontend; it is held there.
        await redefining.WaitAsync(TimeSpan.FromSeconds(30), Ct);
        await Wait.UntilAsync(() => Portal.Queries.VmAsync(web, Ct), r => !r!.IsMissingOnHost && r.Status == VmStatus.Down, "web-frontend is reconciled meanwhile");
        var names = Portal.Hypervisor.ListSnapshotNamesAsync(web, Ct);
        var restorer = Portal.Services.GetRequiredService<SnapshotRecordRestorer>();
        await Wait.UntilAsync(() => restorer.CallsWaiting == 1, "the portal's call waits for the record");
        Assert.False(names.IsCompleted);
        release.SetResult();
        Assert.Contains(s1.ToString(), await names);
    }

    [Fact]
    public async Task Reconcile_ItsOwnInventoryChange_StartsNoOtherReconcile()
    {
        // Armed while the reconcile still publishes (subscribers run in Publish), so no later reconcile lists before it.
        var armed = new TaskCompletionSource<(Task Reached, TaskCompletionSource Release)>(TaskCreationOptions.RunContinuationsAsynchronously);
        using var subscription = Portal.Notifier.Subscribe(e =>
        {
            if (e is VmInventoryChanged { Reconciled: true } && !armed.Task.IsCompleted) armed.TrySetResult(Portal.Faults.HoldOn(nameof(IHypervisor.ListDomainsAsync)));
        });

        await Portal.Hypervisor.DefineDomainAsync(NewDomainXml, Ct); // another client: one inventory change

        var (listed, release) = await armed.Task.WaitAsync(Wait.DefaultTimeout, Ct);
        try
        {
            // Nothing lists the host again: the background processor runs out of work first. (A second reconcile would
            // be held on its list, and the processor would not be idle before it.)
            var idle = Portal.Background.WhenIdleAsync();
            Assert.Same(idle, await Task.WhenAny(listed, idle).WaitAsync(Wait.DefaultTimeout, Ct));
            Assert.False(listed.IsCompleted);
        }
        finally { release.SetResult(); }
    }
    [Fact]
    public async Task Reconcile_InventoryChangesQueuedWhileOneRuns_AreReconciledTogether()
    {
        var (listed, release) = Portal.Faults.HoldOn(nameof(IHypervisor.ListDomainsAsync));
        Portal.Notifier.Publish(new VmInventoryChanged());
        await listed.WaitAsync(Wait.DefaultTimeout, Ct);
        for (var i = 0; i < 5; i++) Portal.Notifier.Publish(new VmInventoryChanged()); // a burst of defines, say
        var before = Portal.Faults.Calls(nameof(IHypervisor.ListDomainsAsync));

        release.SetResult();

        // The held reconcile lists once more (the statuses), then one reconcile for the five lists twice; one each
        // would list ten times.
        await Wait.UntilAsync(() => Task.FromResult(Portal.Faults.Calls(nameof(IHypervisor.ListDomainsAsync))), n => n >= before + 3, "the queued changes are reconciled");
        await Portal.Background.WhenIdleAsync().WaitAsync(Wait.DefaultTimeout, Ct); // every queued change handled
        Assert.InRange(Portal.Faults.Calls(nameof(IHypervisor.ListDomainsAsync)) - before, 3, 5);
    }

    [Fact]
    public async Task Background_WhenIdle_WaitsForTheEventBeingHandledAndThoseQueuedBehindIt()
    {
        await Portal.Background.WhenIdleAsync().WaitAsync(Wait.DefaultTimeout, Ct); // the start's reconcile is over
        var (listed, release) = Portal.Faults.HoldOn(nameof(IHypervisor.ListDomainsAsync));
        Portal.Notifier.Publish(new VmInventoryChanged());
        await listed.WaitAsync(Wait.DefaultTimeout, Ct);
        Portal.Notifier.Publish(new VmInventoryChanged());

        var idle = Portal.Background.WhenIdleAsync();
        Assert.False(idle.IsCompleted); // the reconcile is held on its list
        var before = Portal.Faults.Calls(nameof(IHypervisor.ListDomainsAsync));
        release.SetResult();

        await idle.WaitAsync(Wait.DefaultTimeout, Ct);
        // By then the queued change has been reconciled too: the held reconcile lists once more (the statuses), the
        // queued one twice.
        Assert.True(Portal.Faults.Calls(nameof(IHypervisor.ListDomainsAsync)) >= before + 3);
        Assert.True(Portal.Background.WhenIdleAsync().IsCompleted);
    }
}
