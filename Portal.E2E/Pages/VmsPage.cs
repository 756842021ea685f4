namespace Portal.E2E.Pages;

/// <summary>/vms: the VM grid with live status.</summary>
public sealed class VmsPage(IPage page)
{
    public const string Path = "/vms";
    public ILocator Heading => page.GetByRole(AriaRole.Heading, new() { Name = "Virtual machines", Exact = true });
    public ILocator Grid => page.GetByTestId("vms-grid");
    public ILocator Rows => Grid.Locator("tr.vm-row");
    public ILocator Row(string vm) => Grid.Locator($"tr.vm-{vm}");
    public ILocator Link(string vm) => Grid.GetByRole(AriaRole.Link, new() { Name = vm, Exact = true });

    /// <summary>The status chip; its <c>data-status</c> is the VmStatus name (Down, Up, PoweringUp, RestoringState…).</summary>
    public ILocator Status(string vm) => page.GetByTestId($"vm-{vm}-status");
    public ILocator RunButton(string vm) => page.GetByRole(AriaRole.Button, new() { Name = $"Run {vm}", Exact = true });
    public ILocator StopButton(string vm) => page.GetByRole(AriaRole.Button, new() { Name = $"Stop {vm}", Exact = true });
    public ILocator StatelessMark(string vm) => page.GetByTestId($"vm-{vm}-stateless");

    /// <summary>Waits for the status chip of <paramref name="vm"/> to say <paramref name="status"/>.</summary>
    public Task ExpectStatusAsync(string vm, string status) => Expect(Status(vm)).ToHaveAttributeAsync("data-status", status);
}
