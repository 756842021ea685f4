using System.Text.RegularExpressions;
using Microsoft.EntityFrameworkCore;
using Portal.Core.Audit;
using Portal.Core.Storage;
using Portal.E2E.Infrastructure;
using Portal.E2E.Pages;

namespace Portal.E2E.Storage;

/// <summary>
/// The Storage page adds and removes domains. On the embedded test driver libvirt defines, builds and starts dir and disk
/// pools as metadata, so a Block domain on "/dev/sdz" is real to libvirt without touching a device.
/// </summary>
public sealed class StorageDomainsTests(PortalFixture portal) : PortalTest(portal), IClassFixture<PortalFixture>
{
    private async Task<StoragePage> OpenAsync()
    {
        await SignInAsync();
        await new PortalShell(Page).Navigation.GetByRole(AriaRole.Link, new() { Name = "Storage domains", Exact = true }).ClickAsync();
        await Expect(Page).ToHaveURLAsync(new Regex("/storage$"));
        await new PortalShell(Page).WaitInteractiveAsync();
        return new StoragePage(Page);
    }

    private async Task AddAsync(StoragePage storage, string name, string kind, string location)
    {
        await storage.AddButton.ClickAsync();
        var dialog = new AddStorageDomainDialog(Page);
        await dialog.Name.FillAsync(name);
        await dialog.Kind.ClickAsync();
        await dialog.Option(kind).ClickAsync();
        await (kind.StartsWith("Block") ? dialog.Device : dialog.Directory).FillAsync(location);
        await dialog.Add.ClickAsync();
        await Expect(dialog.Dialog).ToBeHiddenAsync();
        await Expect(storage.Row(name)).ToBeVisibleAsync();
    }

    private async Task<StorageDomain?> DomainAsync(string name)
    {
        await using var db = Db.Open();
        return await db.StorageDomains.AsNoTracking().SingleOrDefaultAsync(d => d.Name == name);
    }

    [Fact]
    public async Task AddFileAndBlockDomains_ThroughTheDialog_AreListedWithTheirKindAndRegistered()
    {
        var storage = await OpenAsync();
        var audit = await Db.AuditMarkAsync();

        await AddAsync(storage, "data2", "File: a new directory pool", Path.Combine(Path.GetTempPath(), $"portal-e2e-{Guid.NewGuid():N}", "data2"));
        await AddAsync(storage, "san-block", "Block: a partitioned device (disk pool)", "/dev/sdz");

        await Expect(storage.Type("data2")).ToHaveTextAsync("Data · File");
        await Expect(storage.Type("san-block")).ToHaveTextAsync("Data · Block");
        await Expect(storage.Row("san-block")).ToContainTextAsync("disk pool: partitions of a device");
        Assert.Equal((StorageKind.File, true), ((await DomainAsync("data2"))!.Kind, (await DomainAsync("data2"))!.PoolCreatedByPortal));
        Assert.Equal((StorageKind.Block, "san-block"), ((await DomainAsync("san-block"))!.Kind, (await DomainAsync("san-block"))!.PoolName));
        var entries = await Db.WaitForAuditAsync(audit, count: 2);
        Assert.All(entries, e => Assert.Equal(("Add storage domain", AuditOutcome.Success), (e.Operation, e.Outcome)));
    }

    [Fact]
    public async Task Remove_DomainHoldingDisks_IsRefusedAndAnEmptyOneGoesWithItsPool()
    {
        var storage = await OpenAsync();
        await AddAsync(storage, "scratch-block", "Block: a partitioned device (disk pool)", "/dev/sdy");

        // The demo data domain holds the VMs' disk images: the dialog says so and offers no Remove.
        var inUse = new RemoveStorageDomainDialog(Page, "data-file");
        await DialogOpener.OpenAsync(storage.RemoveButton("data-file"), inUse.Dialog);
        await Expect(inUse.Blocked).ToContainTextAsync("data-file holds the disk images of VM build-agent");
        await Expect(inUse.Remove).ToBeDisabledAsync();
        await Page.Keyboard.PressAsync("Escape");
        await Expect(inUse.Dialog).ToBeHiddenAsync();

        var audit = await Db.AuditMarkAsync();
        var empty = new RemoveStorageDomainDialog(Page, "scratch-block");
        await DialogOpener.OpenAsync(storage.RemoveButton("scratch-block"), empty.Dialog);
        await Checkbox.SetAsync(empty.RemovePool, true);
        await empty.Remove.ClickAsync();

        await Expect(empty.Dialog).ToBeHiddenAsync();
        await Expect(storage.Row("scratch-block")).ToHaveCountAsync(0);
        Assert.NotNull(await DomainAsync("data-file"));
        Assert.Null(await DomainAsync("scratch-block"));
        var entry = Assert.Single(await Db.WaitForAuditAsync(audit));
        Assert.Equal("Storage domain scratch-block (Data, Block) was removed; the libvirt pool scratch-block was stopped and undefined (its data stays).", entry.Message);
    }
}
