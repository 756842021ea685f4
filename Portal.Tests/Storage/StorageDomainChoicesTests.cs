using Portal.Core;
using Portal.Core.Hosts;
using Portal.Core.Hypervisor;
using Portal.Core.Storage;
using Portal.Tests.Support;

namespace Portal.Tests.Storage;

/// <summary>The storage domains a dialog offers: one role's, by name, with the free space of their pools.</summary>
public sealed class StorageDomainChoicesTests : PortalTest
{
    private PortalQueries Queries => Portal.Get<PortalQueries>();

    [Fact]
    public async Task Choices_OfEachRole_AreThatRolesDomainsByNameWithTheirPoolsFreeSpace()
    {
        await AddDomainAsync("data-spare", DemoNode.ExportPool);

        var data = await Queries.StorageDomainChoicesAsync(StorageRole.Data, Ct);
        var export = await Queries.StorageDomainChoicesAsync(StorageRole.Export, Ct);

        Assert.Equal(["data-file", "data-spare"], data.Select(d => d.Name));
        Assert.Equal([DemoNode.ExportPool], export.Select(d => d.Name));
        var hypervisor = Portal.Get<IHypervisor>();
        Assert.Equal((await hypervisor.GetPoolAsync(DemoNode.DataPool, Ct)).AvailableBytes, data[0].FreeBytes);
        Assert.Equal((await hypervisor.GetPoolAsync(DemoNode.ExportPool, Ct)).AvailableBytes, data[1].FreeBytes);
        Assert.All(data.Concat(export), d => Assert.Null(d.Error));
        // The same domains and free space as the Storage domains page shows.
        var rows = await Queries.StorageDomainRowsAsync(Ct);
        foreach (var d in data.Concat(export))
        {
            var row = rows.Single(r => r.Id == d.Id);
            Assert.Equal((row.Name, row.Kind, row.FreeBytes), (d.Name, d.Kind, d.FreeBytes));
        }
    }

    [Fact]
    public async Task Choices_DomainWhosePoolIsGone_OfferedWithTheHostsReasonAndNoFreeSpace()
    {
        await AddDomainAsync("data-lost", "no-such-pool");

        var lost = (await Queries.StorageDomainChoicesAsync(StorageRole.Data, Ct)).Single(d => d.Name == "data-lost");

        Assert.Null(lost.FreeBytes);
        Assert.Contains("no-such-pool", lost.Error);
    }

    private async Task AddDomainAsync(string name, string pool)
    {
        await using var db = await Portal.DbAsync();
        db.StorageDomains.Add(new StorageDomain { Name = name, PoolName = pool, Role = StorageRole.Data });
        await db.SaveChangesAsync(Ct);
    }
}
