namespace Portal.E2E.Pages;

/// <summary>/storage ("Storage domains"): the domains with their memory volumes, and the VMs on each export domain.</summary>
public sealed class StoragePage(IPage page)
{
    public const string Path = "/storage";
    public ILocator Heading => page.GetByRole(AriaRole.Heading, new() { Name = "Storage domains", Exact = true });
    public ILocator Grid => page.GetByTestId("storage-grid");
    public ILocator Row(string domain) => Grid.GetByRole(AriaRole.Row).Filter(new() { Has = page.GetByRole(AriaRole.Cell, new() { Name = domain, Exact = true }) });
    public ILocator Type(string domain) => page.GetByTestId($"storage-{domain}-type");
    public ILocator MemoryVolumeCount(string domain) => page.GetByTestId($"storage-{domain}-memory-count");
    public ILocator AddButton => page.GetByRole(AriaRole.Button, new() { Name = "Add storage domain", Exact = true });
    public ILocator RemoveButton(string domain) => page.GetByRole(AriaRole.Button, new() { Name = $"Remove {domain}", Exact = true });
    public ILocator ExportedVms(string exportDomain) => page.GetByTestId($"export-{exportDomain}-vms");
    public ILocator ExportedRow(string exportDomain, string vm) =>
        ExportedVms(exportDomain).GetByRole(AriaRole.Row).Filter(new() { Has = page.GetByRole(AriaRole.Cell, new() { Name = vm, Exact = true }) });
    public ILocator ImportButton(string vm) => page.GetByRole(AriaRole.Button, new() { Name = $"Import {vm}", Exact = true });
    public ILocator ExportedSearch(string exportDomain) => page.GetByRole(AriaRole.Textbox, new() { Name = $"Search the VMs on {exportDomain}", Exact = true });
    public ILocator ExportedPager(string exportDomain) => page.GetByTestId($"export-{exportDomain}-pager");
    public ILocator ExportedNames(string exportDomain) => ExportedVms(exportDomain).Locator("tbody tr td:first-child");
    public ILocator MemoryVolumes(string domain) => page.GetByTestId($"memory-{domain}-volumes");
    public ILocator MemoryVolumeRows(string domain) => MemoryVolumes(domain).Locator("tbody tr");
    public ILocator MemoryVolumeSearch(string domain) => page.GetByRole(AriaRole.Textbox, new() { Name = $"Search the memory volumes on {domain}", Exact = true });
    public ILocator MemoryVolumePager(string domain) => page.GetByTestId($"memory-{domain}-pager");
    public ILocator MemoryVolumeSort(string domain, string column) => page.GetByTestId($"memory-{domain}-sort-{column}");
}

/// <summary>Add storage domain (Storage page, Admin): name, role, where the pool comes from, and its location.</summary>
public sealed class AddStorageDomainDialog(IPage page)
{
    public ILocator Dialog => page.GetByRole(AriaRole.Dialog, new() { Name = "Add storage domain" });
    public ILocator Name => Dialog.GetByRole(AriaRole.Textbox, new() { Name = "Name" });
    public ILocator Kind => Dialog.GetByTestId("add-storage-kind");
    public ILocator Option(string text) => page.GetByRole(AriaRole.Option, new() { Name = text });
    public ILocator Directory => Dialog.GetByRole(AriaRole.Textbox, new() { Name = "Directory" });
    public ILocator Device => Dialog.GetByRole(AriaRole.Textbox, new() { Name = "Block device" });
    public ILocator Error => Dialog.GetByTestId("add-storage-error");
    public ILocator Add => Dialog.GetByRole(AriaRole.Button, new() { Name = "Add", Exact = true });
}

/// <summary>Remove storage domain: what stands in the way, the exported VMs, and "also remove the pool".</summary>
public sealed class RemoveStorageDomainDialog(IPage page, string domain)
{
    public ILocator Dialog => page.GetByRole(AriaRole.Dialog, new() { Name = $"Remove storage domain {domain}" });
    public ILocator Blocked => Dialog.GetByTestId("remove-storage-blocked");
    public ILocator Exported => Dialog.GetByTestId("remove-storage-exported");
    public ILocator RemovePool => Dialog.GetByRole(AriaRole.Checkbox, new() { Name = "Also stop and undefine the libvirt pool the portal created (no data is deleted)" });
    public ILocator Remove => Dialog.GetByRole(AriaRole.Button, new() { Name = "Remove", Exact = true });
}
