using Bunit;
using Microsoft.EntityFrameworkCore;
using Portal.Components.Pages.Storage;
using Portal.Core;
using Portal.Core.Persistence;
using Portal.Core.Snapshots;
using Portal.Core.Storage;
using Portal.Tests.Components.Support;

namespace Portal.Tests.Components.Storage;

public sealed class StoragePageTests : PortalComponentTest
{
    [Fact]
    public async Task MemoryVolumes_TwoVmsKeepMemory_BothAreNamed()
    {
        await SnapshotAsync((await VmAsync("web-frontend")).Id, "with memory", saveMemory: true);
        await SnapshotAsync((await VmAsync("db-primary")).Id, "with memory", saveMemory: true);

        var cut = Render<StoragePage>();

        cut.WaitForAssertion(() => Assert.Equal("of db-primary and web-frontend", cut.Find("[data-testid=storage-data-file-memory-vms]").TextContent));
    }

    [Fact]
    public async Task AddDialog_Opened_OffersTheHostsUnregisteredPoolsInItsFirstRender()
    {
        await Get<Portal.Core.Hypervisor.IHypervisor>().CreatePoolAsync(StoragePoolXml.Disk("by-hand", "/dev/sdy"), overwrite: false, Ct);
        var providers = RenderProviders();
        var page = Render<StoragePage>();
        page.WaitForElement("[data-testid=storage-add]");

        // The handler waits for the dialog to close, so the click is not awaited.
        _ = ClickAsync(page, "[data-testid=storage-add]");
        providers.WaitForElement("[data-testid=add-storage-dialog]");

        // Read before the dialog opened: nothing arrives later to render it again under the operator's first keys.
        var dialog = providers.FindComponent<AddStorageDomainDialog>().Instance;
        Assert.Equal(["by-hand"], dialog.Pools.Select(p => p.Name));
        Assert.Null(dialog.PoolsError);
    }

    [Fact]
    public async Task MemoryVolumes_MoreVmsThanTheRowNames_TheFirstByNameAndACountAndLostDumpsApart()
    {
        // Every demo VM keeps memory on the data domain (rows made directly: only running VMs of a 3.3+ cluster can
        // save memory, and a data center's thousands are this case at scale).
        await using (var db = await Get<IDbContextFactory<PortalDbContext>>().CreateDbContextAsync(Ct))
        {
            var domain = await db.StorageDomains.Where(d => d.PoolName == "data-file").Select(d => d.Id).SingleAsync(Ct);
            foreach (var vmId in await db.Vms.Select(v => v.Id).ToListAsync(Ct))
                for (var i = 0; i < 2; i++)
                {
                    var snapshot = new Snapshot { VmId = vmId, Description = $"kept {i}", CreatedAt = DateTime.UtcNow, Type = SnapshotType.Regular, Status = SnapshotStatus.Ok, ConfigurationXml = "<domain/>" };
                    var memory = new MemoryVolume
                    {
                        StorageDomainId = domain, DumpPath = $"/x/{snapshot.Id}.dump", ConfPath = $"/x/{snapshot.Id}.conf", SizeBytes = 1L << 20,
                        CreatedAt = snapshot.CreatedAt, DumpVolumeName = $"{snapshot.Id}-dump", ConfVolumeName = $"{snapshot.Id}-conf",
                        IsMissingOnHost = i == 1, // each VM's second dump lost on the host: a record, no space
                    };
                    db.MemoryVolumes.Add(memory);
                    snapshot.MemoryVolumeId = memory.Id;
                    db.Snapshots.Add(snapshot);
                }
            await db.SaveChangesAsync(Ct);
        }

        var row = (await Get<PortalQueries>().StorageDomainRowsAsync(Ct)).Single(d => d.PoolName == "data-file");
        var cut = Render<StoragePage>();

        Assert.Equal((7, 7L << 20, 7, 7, PortalQueries.MemoryVmNamesShown),
            (row.MemoryVolumes, row.MemoryBytes, row.MissingMemoryVolumes, row.MemoryVmCount, row.MemoryOfVms!.Count));
        cut.WaitForAssertion(() => Assert.Equal("of build-agent, db-primary, gpu-render, kiosk-stateless, legacy-erp and 2 more VMs",
            cut.Find("[data-testid=storage-data-file-memory-vms]").TextContent));
        Assert.Equal("and 7 whose dumps the host lost", cut.Find("[data-testid=storage-data-file-memory-missing]").TextContent);
        Assert.Equal((7L << 20).ToString(System.Globalization.CultureInfo.InvariantCulture),
            cut.Find("[data-testid=storage-data-file-usage]").GetAttribute("data-memory-bytes"));
    }
}
