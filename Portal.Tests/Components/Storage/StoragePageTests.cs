using Bunit;
using Microsoft.EntityFrameworkCore;
using Portal.Components.Pages.Storage;
using Portal.Core;
using Portal.Core.ImportExport;
using Portal.Core.Persistence;
using Portal.Core.Snapshots;
using Portal.Core.Storage;
using Portal.Tests.Components.Support;
using Portal.Tests.Support;

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
    public async Task MemoryVolumesList_LargestFirstSortedSearchedAndARemovedSnapshotsVolumeGoesLive()
    {
        var web = (await VmAsync("web-frontend")).Id;
        var db = (await VmAsync("db-primary")).Id;
        await SnapshotAsync(web, "small", saveMemory: true);
        var large = await SnapshotAsync(db, "large", saveMemory: true);
        await using (var context = await Get<IDbContextFactory<PortalDbContext>>().CreateDbContextAsync(Ct))
        {
            // The test driver's dumps are a few bytes each: sizes as a real host's would differ.
            foreach (var s in await context.Snapshots.Include(s => s.MemoryVolume).Where(s => s.MemoryVolumeId != null).ToListAsync(Ct))
                s.MemoryVolume!.SizeBytes = s.Id == large ? 3L << 30 : 512L << 20;
            await context.SaveChangesAsync(Ct);
        }

        var cut = Render<StoragePage>();

        const string Rows = "[data-testid=memory-data-file-volumes] tbody tr";
        cut.WaitForAssertion(() => Assert.Equal(["db-primary|large|3 GiB", "web-frontend|small|512 MiB"], Shown()));
        Assert.Equal($"vms/{db}", cut.Find(Rows + " a").GetAttribute("href"));
        Assert.Equal("descending", cut.Find("[data-testid=memory-data-file-sort-size]").ParentElement!.GetAttribute("aria-sort"));

        await ClickAsync(cut, "[data-testid=memory-data-file-sort-vm]");
        cut.WaitForAssertion(() => Assert.Equal(["db-primary|large|3 GiB", "web-frontend|small|512 MiB"], Shown()));
        await ClickAsync(cut, "[data-testid=memory-data-file-sort-vm]");
        cut.WaitForAssertion(() => Assert.Equal(["web-frontend|small|512 MiB", "db-primary|large|3 GiB"], Shown()));

        await InputAsync(cut, "input[data-testid=memory-data-file-search]", "SMA");
        cut.WaitForAssertion(() => Assert.Equal(["web-frontend|small|512 MiB"], Shown()), TimeSpan.FromSeconds(5));
        await InputAsync(cut, "input[data-testid=memory-data-file-search]", "");
        cut.WaitForAssertion(() => Assert.Equal(2, Shown().Count), TimeSpan.FromSeconds(5));

        // The snapshot removed elsewhere (the API, another page): its volume leaves the list without a reload.
        var admin = Portal.Core.Auth.Actor.Admin("admin");
        await PortalFixture.Succeeds(Get<Portal.Core.Vms.StopVmCommand>().ExecuteAsync(new Portal.Core.Vms.StopVmRequest(db), admin, Ct));
        await PortalFixture.Succeeds(Get<RemoveSnapshotCommand>().ExecuteAsync(new RemoveSnapshotRequest(db, large), admin, Ct));
        cut.WaitForAssertion(() => Assert.Equal(["web-frontend|small|512 MiB"], Shown()));
        // The pager's count follows in a render of its own.
        cut.WaitForAssertion(() => Assert.Contains("1-1 of 1", cut.Find("[data-testid=memory-data-file-pager]").TextContent));

        List<string> Shown() => cut.FindAll(Rows).Select(r => string.Join('|', r.QuerySelectorAll("td").Take(3).Select(td => td.TextContent.Trim()))).ToList();
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

    [Fact]
    public async Task ExportedVms_MoreThanAPage_OnePageByNameSearchedAndItsSizeKept()
    {
        var store = Get<ExportDomainStore>();
        var domain = await ExportDomainAsync();
        // Written out of order: the list is by name.
        foreach (var i in Enumerable.Range(1, 30).OrderBy(i => i % 7))
            await store.WriteAsync(domain, ExportedVm($"exported-{i:D2}"), Ct);

        var cut = Render<StoragePage>();

        const string Rows = "[data-testid=export-export-file-vms] tbody tr";
        const string Pager = "[data-testid=export-export-file-pager]";
        cut.WaitForAssertion(() => Assert.Equal(25, cut.FindAll(Rows).Count));
        Assert.Equal(Enumerable.Range(1, 25).Select(i => $"exported-{i:D2}"), cut.FindAll(Rows).Select(r => r.QuerySelector("td")!.TextContent));
        Assert.Contains("1-25 of 30", cut.Find(Pager).TextContent);
        Assert.Equal("30 exported VMs", cut.Find("[data-testid=storage-export-file-exported-count]").TextContent);

        await ClickAsync(cut, $"{Pager} button[aria-label='Next page']");
        cut.WaitForAssertion(() => Assert.Equal(["exported-26", "exported-27", "exported-28", "exported-29", "exported-30"],
            cut.FindAll(Rows).Select(r => r.QuerySelector("td")!.TextContent)));

        // A search starts from its first page, in any case.
        await InputAsync(cut, "input[data-testid=export-export-file-search]", "EXPORTED-2");
        cut.WaitForAssertion(() => Assert.Contains("1-10 of 10", cut.Find(Pager).TextContent), TimeSpan.FromSeconds(5));
        Assert.Equal(Enumerable.Range(20, 10).Select(i => $"exported-{i:D2}"), cut.FindAll(Rows).Select(r => r.QuerySelector("td")!.TextContent));
        await InputAsync(cut, "input[data-testid=export-export-file-search]", "nothing-like-it");
        cut.WaitForAssertion(() => Assert.Equal("No exported VM matches 'nothing-like-it'.", cut.Find("[data-testid=export-export-file-no-match]").TextContent),
            TimeSpan.FromSeconds(5));

        await ChangeAsync(cut, $"{Pager} select", "10");
        Assert.Equal(10, await Get<UserPreferences>().PageSizeAsync("admin", "exported-vms", 25, Ct));
    }

    [Fact]
    public async Task ExportedVms_Import_OpensWithTheWholeOvfOrSaysWhyItCannot()
    {
        var store = Get<ExportDomainStore>();
        var domain = await ExportDomainAsync();
        var kept = ExportedVm("kept");
        var gone = ExportedVm("gone");
        await store.WriteAsync(domain, kept, Ct);
        await store.WriteAsync(domain, gone, Ct);
        var broken = Guid.NewGuid();
        var pool = await Get<Portal.Core.Hypervisor.IHypervisor>().GetPoolAsync(domain.PoolName, Ct);
        Directory.CreateDirectory(Path.Combine(pool.TargetPath!, "master", "vms", broken.ToString()));
        await File.WriteAllTextAsync(Path.Combine(pool.TargetPath!, "master", "vms", broken.ToString(), $"{broken}.ovf"), "<broken", Ct);
        var providers = RenderProviders();
        var cut = Render<StoragePage>();
        cut.WaitForElement("[data-testid=import-gone]");
        // The unreadable OVF is counted apart, and listed last with its reason and without an Import button.
        Assert.Equal(("2 exported VMs", "1 OVF unreadable"), (cut.Find("[data-testid=storage-export-file-exported-count]").TextContent,
            cut.Find("[data-testid=storage-export-file-unreadable-count]").TextContent));
        Assert.StartsWith($"{broken}: The OVF is not well-formed XML", cut.FindAll("[data-testid=export-export-file-vms] tbody tr")[^1].TextContent.Trim());
        Assert.Equal(2, cut.FindAll("[data-testid^=import-]").Count);

        // Removed from the domain after the list was read (by another administrator, or by hand).
        await store.DeleteAsync(domain, gone.Id, Ct);
        _ = ClickAsync(cut, "[data-testid=import-gone]");
        providers.WaitForAssertion(() => Assert.Contains($"gone cannot be imported from export-file: There is no exported VM {gone.Id} on export-file.",
            providers.Find(".mud-dialog").TextContent));
        Assert.Empty(providers.FindAll("[data-testid=import-vm-dialog]"));
        await providers.InvokeAsync(() => providers.Find(".mud-dialog .mud-dialog-actions button").ClickAsync(new()));
        providers.WaitForAssertion(() => Assert.Empty(providers.FindAll(".mud-dialog")));

        _ = ClickAsync(cut, "[data-testid=import-kept]");
        providers.WaitForElement("[data-testid=import-vm-dialog]");
        var dialog = providers.FindComponent<Portal.Components.Pages.ImportExport.ImportVmDialog>().Instance;
        Assert.Equal((kept.Id, 2, kept.Snapshots[0].Configuration), (dialog.Exported.Id, dialog.Exported.Snapshots.Count, dialog.Exported.Snapshots[0].Configuration));
    }

    [Fact]
    public async Task ExportedVms_SortedByExportTime_NewestFirstThenOldestThenByNameAgain()
    {
        var store = Get<ExportDomainStore>();
        var domain = await ExportDomainAsync();
        var monday = new DateTime(2026, 11, 30, 9, 0, 0, DateTimeKind.Utc);
        await store.WriteAsync(domain, ExportedVm("alpha", monday.AddDays(1)), Ct);
        await store.WriteAsync(domain, ExportedVm("bravo", monday), Ct);
        await store.WriteAsync(domain, ExportedVm("charlie", monday.AddDays(2)), Ct);
        var cut = Render<StoragePage>();
        const string Names = "[data-testid=export-export-file-vms] tbody tr td:first-child";
        cut.WaitForAssertion(() => Assert.Equal(["alpha", "bravo", "charlie"], cut.FindAll(Names).Select(td => td.TextContent)));

        await ClickAsync(cut, "[data-testid=export-export-file-sort-exported]");
        cut.WaitForAssertion(() => Assert.Equal(["charlie", "alpha", "bravo"], cut.FindAll(Names).Select(td => td.TextContent)));
        Assert.Equal("descending", cut.Find("[data-testid=export-export-file-sort-exported]").ParentElement!.GetAttribute("aria-sort"));

        await ClickAsync(cut, "[data-testid=export-export-file-sort-exported]");
        cut.WaitForAssertion(() => Assert.Equal(["bravo", "alpha", "charlie"], cut.FindAll(Names).Select(td => td.TextContent)));

        await ClickAsync(cut, "[data-testid=export-export-file-sort-name]");
        cut.WaitForAssertion(() => Assert.Equal(["alpha", "bravo", "charlie"], cut.FindAll(Names).Select(td => td.TextContent)));
        Assert.Equal("none", cut.Find("[data-testid=export-export-file-sort-exported]").ParentElement!.GetAttribute("aria-sort"));
    }

    private async Task<StorageDomain> ExportDomainAsync()
    {
        await using var db = await Get<IDbContextFactory<PortalDbContext>>().CreateDbContextAsync(Ct);
        return await db.StorageDomains.SingleAsync(d => d.PoolName == "export-file", Ct);
    }

    /// <summary>An exported VM with a Regular snapshot and the Active one.</summary>
    private static OvfVm ExportedVm(string name, DateTime? exportedAt = null) =>
        ExportedVms.Chain(name, exportedAt ?? new DateTime(2026, 12, 6, 9, 0, 0, DateTimeKind.Utc));
}
