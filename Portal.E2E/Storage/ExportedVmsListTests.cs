using System.Text.RegularExpressions;
using Portal.Core.ImportExport;
using Portal.E2E.Infrastructure;
using Portal.E2E.Pages;
using Portal.Tests.Support;

namespace Portal.E2E.Storage;

/// <summary>
/// An export domain with more VMs than a page: the Storage page shows 25 by name, pages through them, searches them by
/// name, and Import opens on the VM's whole OVF. The OVFs are written into the demo export domain's directory as the
/// export command lays them out (another portal's exports, or a copied domain).
/// </summary>
public sealed class ExportedVmsListTests(PortalFixture portal) : PortalTest(portal), IClassFixture<PortalFixture>
{
    private const string Domain = "export-file";

    [Fact]
    public async Task ExportDomain_ThirtyVms_APageByNameSearchedAndImportedFromTheList()
    {
        for (var i = 30; i >= 1; i--) WriteOvf($"exported-{i:D2}", snapshots: i % 3 + 1);
        await SignInAsync();
        await Page.GotoAsync(StoragePage.Path);
        await new PortalShell(Page).WaitInteractiveAsync();
        var storage = new StoragePage(Page);

        await Expect(storage.ExportedPager(Domain)).ToContainTextAsync("1-25 of 30");
        await Expect(storage.ExportedNames(Domain)).ToHaveCountAsync(25);
        await Expect(storage.ExportedNames(Domain).First).ToHaveTextAsync("exported-01");
        await Expect(Page.GetByTestId($"storage-{Domain}-exported-count")).ToHaveTextAsync("30 exported VMs");

        await storage.ExportedPager(Domain).GetByRole(AriaRole.Button, new() { Name = "Next page", Exact = true }).ClickAsync();
        await Expect(storage.ExportedNames(Domain)).ToHaveTextAsync(["exported-26", "exported-27", "exported-28", "exported-29", "exported-30"]);

        await storage.ExportedSearch(Domain).FillAsync("Exported-2");
        await Expect(storage.ExportedPager(Domain)).ToContainTextAsync("1-10 of 10");
        await Expect(storage.ExportedNames(Domain).First).ToHaveTextAsync("exported-20");

        await storage.ImportButton("exported-25").ClickAsync();
        var dialog = new ImportVmDialog(Page);
        await Expect(dialog.Dialog).ToBeVisibleAsync();
        await Expect(dialog.Summary).ToContainTextAsync(new Regex(@"Import exported-25 from export-file: 2 snapshot\(s\),\s+0 with memory\."));
    }

    /// <summary>A VM with a chain of <paramref name="snapshots"/> snapshots, the last one Active, in master/vms/{id}/{id}.ovf.</summary>
    private void WriteOvf(string name, int snapshots)
    {
        var vm = ExportedVms.Chain(name, new DateTime(2026, 12, 6, 9, 0, 0, DateTimeKind.Utc), snapshots);
        var dir = Path.Combine(Portal.Process.DataDirectory, "storage", Domain, "master", "vms", vm.Id.ToString());
        Directory.CreateDirectory(dir);
        OvfDocument.Build(vm).Save(Path.Combine(dir, $"{vm.Id}.ovf"));
    }
}
