using AngleSharp.Dom;
using Bunit;
using Microsoft.AspNetCore.Components;
using Portal.Components.Layout;
using Portal.Components.Pages.Hosts;
using Portal.Core.Auth;
using Portal.Core.Hosts;
using Portal.Core.Persistence;
using Portal.Core.Vms;
using Portal.Tests.Components.Support;

namespace Portal.Tests.Components.Hosts;

/// <summary>
/// The Hosts page over the real host connections. The backend is not started, so nothing reconciles by itself: a test
/// that wants a host's VMs in the inventory reconciles, as the background processor would on the host's connecting.
/// </summary>
public sealed class HostsPageTests : PortalComponentTest
{
    private const string UnreachableUri = "qemu+tcp://127.0.0.1:1/system";
    private static readonly Guid BWeb = Guid.Parse("7c3e2a10-5b1f-4d2e-8a6b-1c0d9e8f0011");
    private static readonly Guid BBatch = Guid.Parse("7c3e2a10-5b1f-4d2e-8a6b-1c0d9e8f0012");
    private readonly string _nodeDirectory = Path.Combine(Path.GetTempPath(), "portal-bunit-node-" + Guid.NewGuid().ToString("N"));

    private HostConnectionInfo Primary => Get<HostConnections>().All.Single(h => h.IsPrimary);

    [Fact]
    public void Grid_PrimaryHost_ConnectedWithItsVmCountsAndNoRemove()
    {
        var cut = Render<HostsPage>();
        var id = Primary.HostId;

        cut.WaitForAssertion(() => Assert.Equal("Connected", State(cut, id)));
        Assert.Equal("embedded-test-host", Text(cut, $"host-{id}-name"));
        Assert.Equal(("7", "4"), (Text(cut, $"host-{id}-vms"), Text(cut, $"host-{id}-running")));
        Assert.Single(cut.FindAll($"[data-testid=host-{id}-primary]"));
        var remove = cut.Find($"[data-testid=host-{id}-remove]");
        Assert.True(remove.HasAttribute("disabled"));
        Assert.Equal("The configured host (Libvirt:Uri) holds the storage domains and cannot be removed.", remove.GetAttribute("title"));
        Assert.Equal("Remove host embedded-test-host", remove.GetAttribute("aria-label"));
    }

    [Fact]
    public async Task Grid_UnreachableHostAdded_ShowsItDisconnectedWithLibvirtsReasonLive()
    {
        var cut = Render<HostsPage>();
        cut.WaitForAssertion(() => Assert.Single(cut.FindAll("tr.host-row")));

        var result = await Get<AddHostCommand>().ExecuteAsync(new AddHostRequest("lost", UnreachableUri), Actor.Admin("admin"), Ct);

        var id = result.ValueAs<HostConnectionInfo>().HostId;
        cut.WaitForAssertion(() => Assert.Equal("Disconnected", State(cut, id)));
        Assert.Contains("Connection refused", Text(cut, $"host-{id}-error"));
        Assert.Equal(UnreachableUri, Text(cut, $"host-{id}-uri"));
        Assert.False(cut.Find($"[data-testid=host-{id}-remove]").HasAttribute("disabled"));
    }

    [Fact]
    public void AddHostDialog_Opened_OffersTheClustersWithThePrimaryHostsChosen()
    {
        var (providers, _) = OpenAddHost();

        providers.WaitForAssertion(() => Assert.Equal($"{DemoNode.ModernCluster} ({DemoNode.ModernVersion})",
            providers.Find("[data-testid=add-host-cluster]").TextContent.Trim()));
    }

    [Fact]
    public async Task AddHostDialog_InvalidUri_ShowsTheReasonAndStaysOpen()
    {
        var (providers, _) = OpenAddHost();

        await InputAsync(providers, "[data-testid=add-host-name]", "kvm2");
        await InputAsync(providers, "[data-testid=add-host-uri]", "qemu+ssh:///system");
        await ClickAsync(providers, "[data-testid=add-host-save]");

        providers.WaitForAssertion(() => Assert.Equal("A qemu+ssh URI names the machine to reach, as in qemu+ssh://root@kvm2.example.com/system.",
            providers.Find("[data-testid=add-host-error]").TextContent.Trim()));
        Assert.NotEmpty(providers.FindAll("[data-testid=add-host-dialog]"));
        Assert.Single(Get<HostConnections>().All);
    }

    [Fact]
    public async Task AddHostDialog_SecondTestHost_ClosesAndTheGridListsItConnectedWithItsVms()
    {
        var uri = DemoNode.WriteNode(Path.Combine(_nodeDirectory, "other-node.xml"),
            [new("b-web", BWeb, 512, Running: true), new("b-batch", BBatch, 256, Running: false)]);
        var (providers, page) = OpenAddHost();

        await InputAsync(providers, "[data-testid=add-host-name]", "other");
        await InputAsync(providers, "[data-testid=add-host-uri]", uri);
        await ClickAsync(providers, "[data-testid=add-host-save]");

        providers.WaitForAssertion(() => Assert.Empty(providers.FindAll("[data-testid=add-host-dialog]")));
        providers.WaitForAssertion(() => Assert.Contains("Host other (", providers.Markup));
        var id = Get<HostConnections>().All.Single(h => h.Name == "other").HostId;
        page.WaitForAssertion(() => Assert.Equal("Connected", State(page, id)));
        // What the background processor does when a host connects.
        await Get<VmInventory>().ReconcileAsync(Ct);
        page.WaitForAssertion(() => Assert.Equal(("2", "1"), (Text(page, $"host-{id}-vms"), Text(page, $"host-{id}-running"))));
    }

    [Fact]
    public async Task RemoveButton_Confirmed_TheConfirmationSaysTheHostIsUntouchedAndTheRowGoes()
    {
        var added = await Get<AddHostCommand>().ExecuteAsync(new AddHostRequest("lost", UnreachableUri), Actor.Admin("admin"), Ct);
        var id = added.ValueAs<HostConnectionInfo>().HostId;
        var providers = RenderProviders();
        var cut = Render<HostsPage>();
        cut.WaitForElement($"[data-testid=host-{id}-remove]");

        // The handler waits for the confirmation, so the click is not awaited.
        _ = ClickAsync(cut, $"[data-testid=host-{id}-remove]");
        providers.WaitForAssertion(() => Assert.Equal(
            $"Remove host lost ({UnreachableUri}) from the portal? The portal has no VMs on it. Nothing changes on the host: its VMs stay defined there " +
            "and come back (without the portal's snapshots) if you add the host again.",
            providers.Find("[data-testid=confirm-message]").TextContent.Trim()));
        await ClickAsync(providers, "[data-testid=confirm-ok]");

        cut.WaitForAssertion(() => Assert.Empty(cut.FindAll($"[data-testid=host-{id}-name]")));
        Assert.Null(Get<HostConnections>().Find(id));
        providers.WaitForAssertion(() => Assert.Contains($"Host lost ({UnreachableUri}) was removed. It had no VMs in the portal.", providers.Markup));
    }

    [Fact]
    public async Task RemoveButton_HostWithARunningVm_TheRefusalNamesIt()
    {
        var uri = DemoNode.WriteNode(Path.Combine(_nodeDirectory, "other-node.xml"), [new("b-web", BWeb, 512, Running: true)]);
        var added = await Get<AddHostCommand>().ExecuteAsync(new AddHostRequest("other", uri), Actor.Admin("admin"), Ct);
        var id = added.ValueAs<HostConnectionInfo>().HostId;
        await Get<VmInventory>().ReconcileAsync(Ct);
        var providers = RenderProviders();
        var cut = Render<HostsPage>();
        cut.WaitForElement($"[data-testid=host-{id}-remove]");

        _ = ClickAsync(cut, $"[data-testid=host-{id}-remove]");
        providers.WaitForElement("[data-testid=confirm-ok]");
        await ClickAsync(providers, "[data-testid=confirm-ok]");

        providers.WaitForAssertion(() => Assert.Contains("Cannot remove host other while its VMs run or are locked: b-web (Up).", providers.Markup));
        Assert.Equal("Connected", State(cut, id));
    }

    [Fact]
    public async Task Helpdesk_AddAndRemove_DisabledSayingOnlyAdministratorsMay()
    {
        await Get<AddHostCommand>().ExecuteAsync(new AddHostRequest("lost", UnreachableUri), Actor.Admin("admin"), Ct);
        SignInAs(Roles.Helpdesk);

        var cut = Render<HostsPage>();
        cut.WaitForAssertion(() => Assert.Equal(2, cut.FindAll("tr.host-row").Count));

        var add = cut.Find("[data-testid=hosts-add]");
        Assert.True(add.HasAttribute("disabled"));
        Assert.Equal("Only administrators can add hosts.", add.GetAttribute("title"));
        var lost = Get<HostConnections>().All.Single(h => h.Name == "lost").HostId;
        var remove = cut.Find($"[data-testid=host-{lost}-remove]");
        Assert.True(remove.HasAttribute("disabled"));
        Assert.Equal("Only administrators can remove hosts.", remove.GetAttribute("title"));
    }

    [Fact]
    public async Task Grid_MoreHostsThanAPage_PagedByTheUsersSizeAndSearchedByNameUriClusterOrState()
    {
        for (var i = 1; i <= 11; i++)
            await Get<AddHostCommand>().ExecuteAsync(new AddHostRequest($"lost-{i:D2}", $"qemu+tcp://127.0.0.1:{i}/system"), Actor.Admin("admin"), Ct);
        await Get<UserPreferences>().SetPageSizeAsync("admin", "hosts", 10, Ct);

        var cut = Render<HostsPage>();

        cut.WaitForAssertion(() => Assert.Equal(10, cut.FindAll("tr.host-row").Count));
        Assert.Contains("1-10 of 12", cut.Find("[data-testid=hosts-pager]").TextContent);
        await ClickAsync(cut, "[data-testid=hosts-pager] button[aria-label='Next page']");
        cut.WaitForAssertion(() => Assert.Contains("11-12 of 12", cut.Find("[data-testid=hosts-pager]").TextContent));

        // By a part of the URI, in any case.
        await InputAsync(cut, "input[data-testid=hosts-search]", "127.0.0.1:1/");
        cut.WaitForAssertion(() => Assert.Equal(["lost-01"], cut.FindAll("tr.host-row [data-testid$=-name]").Select(e => e.TextContent)),
            TimeSpan.FromSeconds(5));
        // By state: every unreachable host, none of the connected one.
        await InputAsync(cut, "input[data-testid=hosts-search]", "disconnected");
        cut.WaitForAssertion(() => Assert.Contains("1-10 of 11", cut.Find("[data-testid=hosts-pager]").TextContent), TimeSpan.FromSeconds(5));
        await InputAsync(cut, "input[data-testid=hosts-search]", "EMBEDDED");
        cut.WaitForAssertion(() => Assert.Equal(["embedded-test-host"], cut.FindAll("tr.host-row [data-testid$=-name]").Select(e => e.TextContent)),
            TimeSpan.FromSeconds(5));
        await InputAsync(cut, "input[data-testid=hosts-search]", "kvm-99");
        cut.WaitForAssertion(() => Assert.Equal("No host matches 'kvm-99'.", cut.Find("[data-testid=hosts-no-records]").TextContent), TimeSpan.FromSeconds(5));
    }

    [Theory]
    [InlineData(Roles.Admin)]
    [InlineData(Roles.Helpdesk)]
    public void NavMenu_AnyRole_HasTheHostsLink(string role)
    {
        SignInAs(role);

        var cut = Render<NavMenu>();

        Assert.Equal("Hosts", cut.Find("[data-testid=nav-hosts]").TextContent.Trim());
    }

    private (IRenderedComponent<IComponent> Providers, IRenderedComponent<HostsPage> Page) OpenAddHost()
    {
        var providers = RenderProviders();
        var page = Render<HostsPage>();
        page.WaitForElement("[data-testid=hosts-grid]");
        // The handler waits for the dialog to close, so the click is not awaited.
        _ = ClickAsync(page, "[data-testid=hosts-add]");
        providers.WaitForElement("[data-testid=add-host-dialog]");
        return (providers, page);
    }

    private static string? State(IRenderedComponent<HostsPage> cut, Guid id) =>
        cut.Find($"[data-testid=host-{id}-state]").GetAttribute("data-state");

    private static string Text(IRenderedComponent<HostsPage> cut, string testId) => cut.Find($"[data-testid={testId}]").TextContent.Trim();

    protected override async ValueTask DisposeAsyncCore()
    {
        await base.DisposeAsyncCore();
        if (Directory.Exists(_nodeDirectory)) Directory.Delete(_nodeDirectory, recursive: true);
    }
}
