using System.Text.RegularExpressions;
using Portal.E2E.Infrastructure;
using Portal.E2E.Pages;
using Portal.E2E.Snapshots;

namespace Portal.E2E.Storage;

/// <summary>
/// The Storage page lists a domain's memory volumes: the snapshot that saved each, its VM (a link to it), largest first,
/// searched; a snapshot made while the page is open shows in it without a reload.
/// </summary>
public sealed class MemoryVolumesListTests(PortalFixture portal) : PortalTest(portal), IClassFixture<PortalFixture>
{
    private const string Domain = "data-file";

    [Fact]
    public async Task MemoryVolumes_SnapshotsWithMemoryOfTwoVms_ListedLiveSearchedAndLinkedToTheirVm()
    {
        await SignInAsync();
        await OpenVmDetailsAsync("web-frontend");
        await new VmSteps(Page, Db, "web-frontend").CreateSnapshotAsync("before the upgrade", saveMemory: true);
        var storagePage = await NewSignedInPageAsync();
        await storagePage.GotoAsync(StoragePage.Path);
        await new PortalShell(storagePage).WaitInteractiveAsync();
        var storage = new StoragePage(storagePage);
        await MarkNoReloadAsync(storagePage);
        await Expect(storage.MemoryVolumeRows(Domain)).ToHaveCountAsync(1);

        // Another operator snapshots db-primary with memory; the open Storage page lists it too.
        await OpenVmDetailsAsync("db-primary");
        await new VmSteps(Page, Db, "db-primary").CreateSnapshotAsync("nightly", saveMemory: true);

        await Expect(storage.MemoryVolumeRows(Domain)).ToHaveCountAsync(2);
        await ExpectNotReloadedAsync(storagePage);
        await Expect(storage.MemoryVolumePager(Domain)).ToContainTextAsync("1-2 of 2");
        // db-primary has twice web-frontend's memory: its dump is the larger, listed first.
        await Expect(storage.MemoryVolumeRows(Domain).Locator("td:nth-child(2)")).ToHaveTextAsync(["nightly", "before the upgrade"]);
        await Expect(storage.MemoryVolumeSort(Domain, "size").Locator("..")).ToHaveAttributeAsync("aria-sort", "descending");

        await storage.MemoryVolumeSearch(Domain).FillAsync("UPGRADE");
        await Expect(storage.MemoryVolumeRows(Domain)).ToHaveCountAsync(1);
        var web = (await Db.VmAsync("web-frontend")).Id;
        await storage.MemoryVolumes(Domain).GetByRole(AriaRole.Link, new() { Name = "web-frontend", Exact = true }).ClickAsync();
        await Expect(storagePage).ToHaveURLAsync(new Regex($"/vms/{web}$", RegexOptions.IgnoreCase));
    }
}
