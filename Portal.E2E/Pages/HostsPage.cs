namespace Portal.E2E.Pages;

/// <summary>/hosts: every host with its connection state, Add host and Remove.</summary>
public sealed class HostsPage(IPage page)
{
    public const string Path = "/hosts";
    public ILocator Heading => page.GetByRole(AriaRole.Heading, new() { Name = "Hosts", Exact = true });
    public ILocator Grid => page.GetByTestId("hosts-grid");
    public ILocator Row(string host) => Grid.Locator($"tr.host-{host}");
    public ILocator AddButton => page.GetByTestId("hosts-add");

    /// <summary>The state chip; its <c>data-state</c> is Connected, Connecting or Disconnected.</summary>
    public ILocator State(string host) => Row(host).Locator("[data-testid$=-state]");
    public ILocator Error(string host) => Row(host).Locator("[data-testid$=-error]");
    public ILocator VmCount(string host) => Row(host).Locator("[data-testid$=-vms]");
    public ILocator RunningCount(string host) => Row(host).Locator("[data-testid$=-running]");
    public ILocator RemoveButton(string host) => page.GetByRole(AriaRole.Button, new() { Name = $"Remove host {host}", Exact = true });

    public Task ExpectStateAsync(string host, string state) => Expect(State(host)).ToHaveAttributeAsync("data-state", state);
}

/// <summary>Add host: a name, the libvirt URI and the cluster.</summary>
public sealed class AddHostDialog(IPage page)
{
    public ILocator Dialog => page.GetByRole(AriaRole.Dialog, new() { Name = "Add host" });
    public ILocator Name => Dialog.GetByRole(AriaRole.Textbox, new() { Name = "Name" });
    public ILocator Uri => Dialog.GetByRole(AriaRole.Textbox, new() { Name = "libvirt URI" });
    public ILocator Error => Dialog.GetByTestId("add-host-error");
    public ILocator Save => Dialog.GetByRole(AriaRole.Button, new() { Name = "Add host", Exact = true });
}
