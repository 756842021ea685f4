namespace Portal.E2E.Pages;

/// <summary>/vms/{id}: one VM's header (status, Run/Stop, Export/Remove) and its tabs.</summary>
public sealed class VmDetailsPage(IPage page)
{
    public static string Path(Guid id) => $"/vms/{id}";
    public ILocator Name => page.GetByTestId("vm-name");

    /// <summary>The status chip; its <c>data-status</c> is the VmStatus name (Down, Up, PoweringUp, RestoringState…).</summary>
    public ILocator Status => page.GetByTestId("vm-status");
    public ILocator RunButton(string vm) => page.GetByRole(AriaRole.Button, new() { Name = $"Run {vm}", Exact = true });
    public ILocator StopButton(string vm) => page.GetByRole(AriaRole.Button, new() { Name = $"Stop {vm}", Exact = true });
    public ILocator ExportButton => page.GetByRole(AriaRole.Button, new() { Name = "Export", Exact = true });
    public ILocator RemoveButton => page.GetByRole(AriaRole.Button, new() { Name = "Remove", Exact = true });
    public ILocator InPreview => page.GetByTestId("vm-in-preview");
    public ILocator NextRunRestores => page.GetByTestId("vm-next-run-restores");
    public ILocator Tab(string name) => page.GetByRole(AriaRole.Tab, new() { Name = name, Exact = true });

    /// <summary>Status timeline rows, newest first; <c>data-from</c> and <c>data-to</c> carry the VmStatus names.</summary>
    public ILocator TimelineRows => page.GetByTestId("timeline-row");

    /// <summary>The Events tab's audit rows, newest first; <c>data-operation</c> and <c>data-outcome</c> carry the entry's.</summary>
    public ILocator EventRows => page.GetByTestId("audit-row");

    public Task ExpectStatusAsync(string status) => Expect(Status).ToHaveAttributeAsync("data-status", status);
}
