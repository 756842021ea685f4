namespace Portal.E2E.Pages;

/// <summary>/storage ("Storage domains"): the domains with their memory volumes, and the VMs on each export domain.</summary>
public sealed class StoragePage(IPage page)
{
    public const string Path = "/storage";
    public ILocator Heading => page.GetByRole(AriaRole.Heading, new() { Name = "Storage domains", Exact = true });
    public ILocator MemoryVolumeCount(string domain) => page.GetByTestId($"storage-{domain}-memory-count");
    public ILocator ExportedVms(string exportDomain) => page.GetByTestId($"export-{exportDomain}-vms");
    public ILocator ExportedRow(string exportDomain, string vm) =>
        ExportedVms(exportDomain).GetByRole(AriaRole.Row).Filter(new() { Has = page.GetByRole(AriaRole.Cell, new() { Name = vm, Exact = true }) });
    public ILocator ImportButton(string vm) => page.GetByRole(AriaRole.Button, new() { Name = $"Import {vm}", Exact = true });
}
