using Portal.Core.Vms;
using Portal.Tests.Support;

namespace Portal.Tests.Vms;

/// <summary>Domains defined or removed by another client of the host are reconciled into the inventory.</summary>
public sealed class VmInventoryTests : PortalTest
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
    public async Task Reconcile_DomainUndefinedByAnotherClient_IsMarkedMissingOnHost()
    {
        var reports = await Portal.VmIdAsync("legacy-reports");

        await Portal.Hypervisor.UndefineDomainAsync(reports, Ct);

        await Wait.UntilAsync(() => Portal.Queries.VmAsync(reports, Ct), r => r!.IsMissingOnHost, "legacy-reports is marked missing");
        Assert.StartsWith("The VM no longer exists on its host.", Portal.Get<RunVmCommand>().WhyRefused((await Portal.Queries.VmAsync(reports, Ct))!.Facts)?.Reason);
    }
}
