using System.Text.RegularExpressions;
using Portal.Core.Hosts;
using Portal.E2E.Pages;

namespace Portal.E2E.ImportExport;

/// <summary>The Storage domains page reached the way a user does, and the Import dialog of an exported VM.</summary>
public sealed class ImportSteps(IPage page)
{
    /// <summary>The demo's export domain (a directory pool) and data domain.</summary>
    public const string ExportDomain = DemoNode.ExportPool;
    public const string DataDomain = DemoNode.DataPool;

    public StoragePage Storage { get; } = new(page);
    public ImportVmDialog Dialog { get; } = new(page);

    /// <summary>Opens "Storage domains" from the navigation and waits for <paramref name="vm"/> on the export domain.</summary>
    public async Task OpenStorageAsync(string vm)
    {
        await new PortalShell(page).Navigation.GetByRole(AriaRole.Link, new() { Name = "Storage domains", Exact = true }).ClickAsync();
        await Expect(page).ToHaveURLAsync(new Regex("/storage$"));
        await Expect(Storage.ExportedRow(ExportDomain, vm)).ToBeVisibleAsync();
    }

    /// <summary>Expects the exported VM's row to count <paramref name="snapshots"/> snapshots, <paramref name="withMemory"/> of them with memory.</summary>
    public Task ExpectExportedAsync(string vm, int snapshots, int withMemory) =>
        Expect(Storage.ExportedRow(ExportDomain, vm).GetByRole(AriaRole.Cell)).ToHaveTextAsync(
            [new Regex($"^{Regex.Escape(vm)}$"), new Regex(@"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$"), new Regex($"^{snapshots}$"), new Regex($"^{withMemory}$"), new Regex("Import")]);

    /// <summary>Clicks Import in the dialog and waits for the imported VM's details page, where the portal goes next.</summary>
    public async Task<Guid> ImportAsync()
    {
        await Dialog.Import.ClickAsync();
        await Expect(Dialog.Dialog).ToBeHiddenAsync();
        await Expect(page).ToHaveURLAsync(new Regex("/vms/[0-9a-f-]{36}$"));
        return Guid.Parse(page.Url[^36..]);
    }
}
