namespace Portal.E2E.Pages;

/// <summary>Export VM (from the details page, Admin): the export domain, Collapse snapshots, Overwrite.</summary>
public sealed class ExportVmDialog(IPage page)
{
    public ILocator Dialog => page.GetByRole(AriaRole.Dialog, new() { Name = "Export VM" });
    public ILocator Collapse => Dialog.GetByRole(AriaRole.Checkbox, new() { Name = "Collapse snapshots", Exact = true });
    public ILocator Overwrite => Dialog.GetByRole(AriaRole.Checkbox, new() { Name = "Overwrite a copy already on the export domain", Exact = true });
    public ILocator Error => Dialog.GetByTestId("export-error");
    public ILocator Export => Dialog.GetByRole(AriaRole.Button, new() { Name = "Export", Exact = true });
}

/// <summary>Import VM (from the Storage page, Admin): target data domain, as clone, Collapse snapshots, name.</summary>
public sealed class ImportVmDialog(IPage page)
{
    public ILocator Dialog => page.GetByRole(AriaRole.Dialog, new() { Name = "Import VM" });
    public ILocator Summary => Dialog.GetByRole(AriaRole.Paragraph).First;
    public ILocator Target => Dialog.GetByTestId("import-target");
    public ILocator AsClone => Dialog.GetByRole(AriaRole.Checkbox, new() { Name = "Import as clone", Exact = true });
    public ILocator CloneMemoryWarning => Dialog.GetByTestId("import-clone-memory-warning");
    public ILocator Collapse => Dialog.GetByRole(AriaRole.Checkbox, new() { Name = "Collapse snapshots", Exact = true });
    public ILocator Name => Dialog.GetByRole(AriaRole.Textbox, new() { Name = "Name" });
    public ILocator Error => Dialog.GetByTestId("import-error");
    public ILocator Import => Dialog.GetByRole(AriaRole.Button, new() { Name = "Import", Exact = true });
}
