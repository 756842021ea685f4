using System.Text.RegularExpressions;

namespace Portal.E2E.Pages;

/// <summary>The Snapshots tab of a VM's details page: actions, the grid (with the Memory column) and the tree.</summary>
public sealed class SnapshotsTab(IPage page)
{
    public ILocator CreateButton => page.GetByRole(AriaRole.Button, new() { Name = "Create snapshot", Exact = true });
    public ILocator CommitButton => page.GetByRole(AriaRole.Button, new() { Name = "Commit", Exact = true });
    public ILocator UndoButton => page.GetByRole(AriaRole.Button, new() { Name = "Undo", Exact = true });
    public ILocator Grid => page.GetByTestId("snapshots-grid");
    public ILocator Rows => Grid.Locator("tbody tr.snapshot-row");

    /// <summary>The row whose description cell reads <paramref name="description"/> exactly.</summary>
    public ILocator Row(string description) => Rows.Filter(new() { Has = page.GetByRole(AriaRole.Cell, new() { Name = description, Exact = true }) });

    /// <summary>The Active snapshot's row: its Type reads "Current".</summary>
    public ILocator CurrentRow => Rows.Filter(new() { Has = page.GetByRole(AriaRole.Cell, new() { Name = "Current", Exact = true }) });

    /// <summary>A row's Memory cell: an image named "Has memory" or "No memory", with <c>data-has-memory</c>.</summary>
    public static ILocator Memory(ILocator row) => row.GetByRole(AriaRole.Img, new() { NameRegex = new Regex("^(Has|No) memory$") });

    /// <summary>A row's Type; <c>data-type</c> is the SnapshotType name (Active, Regular, Preview, Stateless).</summary>
    public static ILocator Type(ILocator row) => row.GetByTestId(new Regex("^snapshot-.+-type$"));

    /// <summary>A row's status chip; <c>data-status</c> is the SnapshotStatus name (Ok, Locked, InPreview).</summary>
    public static ILocator Status(ILocator row) => row.GetByTestId(new Regex("^snapshot-.+-status$"));

    public ILocator PreviewButton(string description) => Grid.GetByRole(AriaRole.Button, new() { Name = $"Preview {description}", Exact = true });
    public ILocator GridView => page.GetByRole(AriaRole.Checkbox, new() { Name = "Grid", Exact = true });
    public ILocator TreeView => page.GetByRole(AriaRole.Checkbox, new() { Name = "Tree", Exact = true });
    public ILocator Tree => page.GetByRole(AriaRole.Tree, new() { Name = "Snapshot tree" });
    public ILocator YouAreHere => page.GetByTestId("tree-you-are-here");
}
