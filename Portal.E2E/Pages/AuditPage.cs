namespace Portal.E2E.Pages;

/// <summary>/audit: the audit log, newest first, with its filter (outcome, operation, user, VM, a time to read back from) in the page's address.</summary>
public sealed class AuditPage(IPage page)
{
    public const string Path = "/audit";
    public ILocator Outcome => page.GetByLabel("Outcome", new() { Exact = true });
    public ILocator User => page.GetByLabel("User", new() { Exact = true });
    public ILocator Vm => page.GetByLabel("VM", new() { Exact = true });
    /// <summary>A <c>datetime-local</c> box: fill it with <c>yyyy-MM-ddTHH:mm</c> (UTC, as the table's times).</summary>
    public ILocator Before => page.GetByLabel("Before (UTC)", new() { Exact = true });
    public ILocator ClearFilter => page.GetByRole(AriaRole.Button, new() { Name = "Clear filter" });
    public ILocator Rows => page.GetByTestId("audit-row");
    public ILocator Empty => page.GetByTestId("audit-empty");
}
