using AngleSharp.Dom;
using Bunit;
using Portal.Components.Pages.Vms;
using Microsoft.EntityFrameworkCore;
using Portal.Core;
using Portal.Core.Auth;
using Portal.Core.Hosts;
using Portal.Core.Hypervisor;
using Portal.Core.Persistence;
using Portal.Core.Vms;
using Portal.Tests.Components.Support;

namespace Portal.Tests.Components.Vms;

public sealed class VmsPageTests : PortalComponentTest
{
    [Fact]
    public void Grid_DemoHost_ShowsEachVmsStatus()
    {
        var cut = Render<VmsPage>();

        cut.WaitForAssertion(() => Assert.Equal("Up", Status(cut, "web-frontend")));
        Assert.Equal("Down", Status(cut, "build-agent"));
        Assert.Equal("Up", Status(cut, "legacy-erp"));
        Assert.Equal("Down", Status(cut, "legacy-reports"));
    }

    [Fact]
    public void Grid_DownAndUpVms_RunOnlyForDownAndStopOnlyForUp()
    {
        var cut = Render<VmsPage>();
        cut.WaitForElement("[data-testid=vm-build-agent-run]");

        Assert.False(Button(cut, "build-agent", "run").HasAttribute("disabled"));
        Assert.True(Button(cut, "build-agent", "stop").HasAttribute("disabled"));
        Assert.Equal("The VM is Down; only a running VM can be stopped.", Button(cut, "build-agent", "stop").GetAttribute("title"));
        Assert.True(Button(cut, "web-frontend", "run").HasAttribute("disabled"));
        Assert.Equal("The VM cannot be run while it is Up.", Button(cut, "web-frontend", "run").GetAttribute("title"));
        Assert.False(Button(cut, "web-frontend", "stop").HasAttribute("disabled"));
    }

    [Fact]
    public async Task Grid_VmLockedByAnOperation_DisablesRunAndStopSayingWhich()
    {
        var vm = await VmAsync("web-frontend");
        using var held = Get<VmLocks>().TryAcquire(vm.Id, "Create snapshot", out _);

        var cut = Render<VmsPage>();
        cut.WaitForElement("[data-testid=vm-web-frontend-run]");

        foreach (var action in new[] { "run", "stop" })
        {
            var button = Button(cut, "web-frontend", action);
            Assert.True(button.HasAttribute("disabled"), action);
            Assert.Equal("'Create snapshot' is in progress on this VM.", button.GetAttribute("title"));
        }
        Assert.False(Button(cut, "build-agent", "run").HasAttribute("disabled"));
    }

    [Fact]
    public async Task Grid_VmStartedOnTheHost_StatusAndButtonsUpdateLive()
    {
        var cut = Render<VmsPage>();
        cut.WaitForAssertion(() => Assert.Equal("Down", Status(cut, "build-agent")));
        var vm = await VmAsync("build-agent");

        // What VmMonitor does on a libvirt lifecycle event: read the host, record and publish the transition.
        await Get<IHypervisor>().StartAsync(vm.Id, Ct);
        await Get<VmMonitor>().RefreshFromHostAsync(vm.Id, "libvirt event Started", Ct);

        cut.WaitForAssertion(() => Assert.Equal("Up", Status(cut, "build-agent")));
        Assert.True(Button(cut, "build-agent", "run").HasAttribute("disabled"));
        Assert.False(Button(cut, "build-agent", "stop").HasAttribute("disabled"));
    }

    [Fact]
    public async Task RunButton_DownVm_RunsItAndTheRowTurnsUp()
    {
        var cut = Render<VmsPage>();
        cut.WaitForElement("[data-testid=vm-build-agent-run]");

        await Button(cut, "build-agent", "run").ClickAsync(new());

        cut.WaitForAssertion(() => Assert.Equal("Up", Status(cut, "build-agent")));
        Assert.Equal(VmStatus.Up, (await VmAsync("build-agent")).Status);
    }

    [Fact]
    public async Task Grid_VmOfADisconnectedHost_MarksTheHostAndDisablesRunSayingWhy()
    {
        var added = await Get<AddHostCommand>().ExecuteAsync(new AddHostRequest("lost", "qemu+tcp://127.0.0.1:1/system"), Actor.Admin("admin"), Ct);
        var lost = added.ValueAs<HostConnectionInfo>();
        // A VM the portal knows on that host (as after the host went away): its row names the host.
        var vm = await VmAsync("build-agent");
        await using (var db = await Get<IDbContextFactory<PortalDbContext>>().CreateDbContextAsync(Ct))
            await db.Vms.Where(v => v.Id == vm.Id).ExecuteUpdateAsync(u => u.SetProperty(v => v.HostId, lost.HostId), Ct);

        var cut = Render<VmsPage>();
        cut.WaitForElement("[data-testid=vm-build-agent-host-problem]");

        Assert.Equal(lost.NotConnectedReason, cut.Find("[data-testid=vm-build-agent-host-problem]").GetAttribute("aria-label"));
        Assert.True(Button(cut, "build-agent", "run").HasAttribute("disabled"));
        Assert.StartsWith("Host lost is not connected: unable to connect to server at '127.0.0.1:1': Connection refused", Button(cut, "build-agent", "run").GetAttribute("title"));
        Assert.Empty(cut.FindAll("[data-testid=vm-web-frontend-host-problem]"));
    }

    /// <summary>Adds stopped VMs named <c>bulk-000</c>… to the database (rows only: the grid shows what the database has).</summary>
    private async Task AddVmsAsync(int count)
    {
        await using var db = await Get<IDbContextFactory<PortalDbContext>>().CreateDbContextAsync(Ct);
        var cluster = await db.Clusters.OrderBy(c => c.Name).Select(c => c.Id).FirstAsync(Ct);
        for (var i = 0; i < count; i++)
            db.Vms.Add(new Vm { Id = Guid.NewGuid(), Name = $"bulk-{i:000}", ClusterId = cluster, MemoryMiB = 64, Status = VmStatus.Down, StatusSince = DateTime.UtcNow });
        await db.SaveChangesAsync(Ct);
    }

    [Fact]
    public async Task Grid_MoreVmsThanAPage_RendersOnePageOfRowsAndTheTotal()
    {
        await AddVmsAsync(40);
        var total = (await Get<PortalQueries>().VmsAsync(Ct)).Count;

        var cut = Render<VmsPage>();

        cut.WaitForAssertion(() => Assert.Equal(25, cut.FindAll("tr.vm-row").Count));
        Assert.Contains($"of {total}", cut.Find("[data-testid=vms-pager]").TextContent);
    }

    [Fact]
    public async Task Grid_PageSizeStoredForTheUser_OpensWithThatSize()
    {
        await AddVmsAsync(40);
        await Get<UserPreferences>().SetPageSizeAsync("admin", "vms", 10, Ct);

        var cut = Render<VmsPage>();

        cut.WaitForAssertion(() => Assert.Equal(10, cut.FindAll("tr.vm-row").Count));
        Assert.Equal(10, await Get<UserPreferences>().PageSizeAsync("admin", "vms", 25, Ct));
        Assert.Equal(25, await Get<UserPreferences>().PageSizeAsync("helpdesk", "vms", 25, Ct));
    }

    [Fact]
    public void Search_PartOfAName_ShowsOnlyTheMatchingRows()
    {
        var cut = Render<VmsPage>();
        cut.WaitForAssertion(() => Assert.NotEmpty(cut.FindAll("tr.vm-row")));

        cut.Find("input[data-testid=vms-search]").Input("REPORT");

        cut.WaitForAssertion(() => Assert.Equal(["legacy-reports"],
            cut.FindAll("tr.vm-row a").Select(a => a.TextContent.Trim())), TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task Pager_NextAndLastPage_ShowTheFollowingRowsFromTheDatabase()
    {
        await AddVmsAsync(40);
        var total = (await Get<PortalQueries>().VmsAsync(Ct)).Count;
        var cut = Render<VmsPage>();
        cut.WaitForAssertion(() => Assert.Equal(25, cut.FindAll("tr.vm-row").Count));

        cut.Find("[data-testid=vms-pager] button[aria-label='Next page']").Click();

        cut.WaitForAssertion(() => Assert.Equal(total - 25, cut.FindAll("tr.vm-row").Count));
        Assert.Contains($"26-{total} of {total}", cut.Find("[data-testid=vms-pager]").TextContent);
        Assert.True(cut.Find("[data-testid=vms-pager] button[aria-label='Next page']").HasAttribute("disabled"));
        cut.Find("[data-testid=vms-pager] button[aria-label='First page']").Click();
        cut.WaitForAssertion(() => Assert.Equal(25, cut.FindAll("tr.vm-row").Count));
    }

    [Fact]
    public async Task Pager_RowsPerPageChosen_ShowsThatManyAndRemembersIt()
    {
        await AddVmsAsync(40);
        var cut = Render<VmsPage>();
        cut.WaitForAssertion(() => Assert.Equal(25, cut.FindAll("tr.vm-row").Count));

        cut.Find("[data-testid=vms-pager] select").Change("10");

        cut.WaitForAssertion(() => Assert.Equal(10, cut.FindAll("tr.vm-row").Count));
        Assert.Equal(10, await Get<UserPreferences>().PageSizeAsync("admin", "vms", 25, Ct));
    }

    [Fact]
    public async Task Sort_StatusHeaderClicked_RowsInTheDatabasesOrderAscendingThenDescending()
    {
        var cut = Render<VmsPage>();
        cut.WaitForAssertion(() => Assert.Equal(7, cut.FindAll("tr.vm-row").Count));
        var byName = Names(cut);

        cut.Find("[data-testid=vms-sort-status]").Click();

        // The order is the database's (the stored status, then the name), as the paged query gives it.
        var ascending = await NamesAsync(new VmGridQuery(0, 25, SortBy: VmSort.Status));
        Assert.NotEqual(byName, ascending);
        cut.WaitForAssertion(() => Assert.Equal(ascending, Names(cut)));
        Assert.Equal("ascending", cut.Find("[data-testid=vms-sort-status]").ParentElement!.GetAttribute("aria-sort"));
        Assert.Equal("none", cut.Find("[data-testid=vms-sort-name]").ParentElement!.GetAttribute("aria-sort"));

        cut.Find("[data-testid=vms-sort-status]").Click();

        var descending = await NamesAsync(new VmGridQuery(0, 25, SortBy: VmSort.Status, Descending: true));
        cut.WaitForAssertion(() => Assert.Equal(descending, Names(cut)));
        Assert.Equal("descending", cut.Find("[data-testid=vms-sort-status]").ParentElement!.GetAttribute("aria-sort"));
    }

    private static List<string> Names(IRenderedComponent<VmsPage> cut) => cut.FindAll("tr.vm-row a").Select(a => a.TextContent.Trim()).ToList();

    private async Task<List<string>> NamesAsync(VmGridQuery query) =>
        (await Get<PortalQueries>().VmPageAsync(query, Ct)).Items.Select(r => r.Name).ToList();

    [Fact]
    public async Task Watch_VmsOnScreen_OnlyTheirEventsReachThePage()
    {
        await AddVmsAsync(40);
        await Get<UserPreferences>().SetPageSizeAsync("admin", "vms", 10, Ct);
        var notifier = Get<PortalNotifier>();

        var cut = Render<VmsPage>();
        cut.WaitForAssertion(() => Assert.Equal(10, cut.FindAll("tr.vm-row").Count));
        var rows = (await Get<PortalQueries>().VmPageAsync(new VmGridQuery(0, 10), Ct)).Items;
        var onScreen = rows[0];
        var offScreen = (await Get<PortalQueries>().VmPageAsync(new VmGridQuery(3, 10), Ct)).Items[0];

        Assert.Equal(1, notifier.WatchersOf(onScreen.Id));
        Assert.Equal(0, notifier.WatchersOf(offScreen.Id));
        // An event about the row on screen changes it without a query.
        notifier.Publish(new VmStatusChanged(onScreen.Id, onScreen.Name, onScreen.Status, VmStatus.PoweringUp, DateTime.UtcNow, null));
        cut.WaitForAssertion(() => Assert.Equal("PoweringUp", Status(cut, onScreen.Name)));

        await DisposeComponentsAsync();
        Assert.Equal(0, notifier.WatchersOf(onScreen.Id));
    }

    [Fact]
    public async Task StatusEvent_RowChanges_PagerIsNotRenderedAgainAndTheSearchBoxKeepsItsHandler()
    {
        var cut = Render<VmsPage>();
        cut.WaitForAssertion(() => Assert.Equal("Down", Status(cut, "build-agent")));
        var vm = await VmAsync("build-agent");
        var pager = cut.FindComponent<Portal.Components.Pages.Shared.GridPager>();
        var pagerRenders = pager.RenderCount;
        string SearchHandler() => cut.Find("input[data-testid=vms-search]").GetAttribute("blazor:oninput") ?? "none";
        var searchHandler = SearchHandler();

        Get<PortalNotifier>().Publish(new VmStatusChanged(vm.Id, vm.Name, VmStatus.Down, VmStatus.PoweringUp, DateTime.UtcNow, null));

        cut.WaitForAssertion(() => Assert.Equal("PoweringUp", Status(cut, "build-agent")));
        Assert.Equal(pagerRenders, pager.RenderCount);
        Assert.NotEqual("none", searchHandler);
        Assert.Equal(searchHandler, SearchHandler());
        // The box has no value attribute: no render writes over what is being typed.
        Assert.False(cut.Find("input[data-testid=vms-search]").HasAttribute("value"));
    }

    [Fact]
    public void Search_Cleared_ShowsEveryRowAndAnEmptyBox()
    {
        var cut = Render<VmsPage>();
        cut.WaitForAssertion(() => Assert.NotEmpty(cut.FindAll("tr.vm-row")));
        var all = cut.FindAll("tr.vm-row").Count;
        Assert.Empty(cut.FindAll("[data-testid=vms-search-clear]"));
        cut.Find("input[data-testid=vms-search]").Input("REPORT");
        cut.WaitForAssertion(() => Assert.Single(cut.FindAll("tr.vm-row")), TimeSpan.FromSeconds(5));

        cut.Find("[data-testid=vms-search-clear]").Click();

        cut.WaitForAssertion(() => Assert.Equal(all, cut.FindAll("tr.vm-row").Count));
        Assert.Empty(cut.FindAll("[data-testid=vms-search-clear]"));
    }

    [Fact]
    public async Task StatusEvent_OtherRowsButtonsAndSortHeadersKeepTheirClickHandlers()
    {
        var cut = Render<VmsPage>();
        cut.WaitForAssertion(() => Assert.Equal("Down", Status(cut, "build-agent")));
        var vm = await VmAsync("build-agent");
        // bUnit's markup carries each element's event handler id: a new id is a handler the render batch sent again.
        string Handler(string testId) => cut.Find($"[data-testid={testId}]").GetAttribute("blazor:onclick")
                                         ?? throw new InvalidOperationException($"{testId} has no click handler");
        string[] others = ["vm-db-primary-run", "vm-db-primary-stop", "vm-web-frontend-stop", "vm-build-agent-run", "vms-sort-name", "vms-sort-status"];
        var before = others.Select(Handler).ToList();

        Get<PortalNotifier>().Publish(new VmStatusChanged(vm.Id, vm.Name, VmStatus.Down, VmStatus.PoweringUp, DateTime.UtcNow, null));

        cut.WaitForAssertion(() => Assert.Equal("PoweringUp", Status(cut, "build-agent")));
        Assert.Equal(before, others.Select(Handler));
    }

    [Fact]
    public async Task InventoryChange_RowOnScreenShowsTheNewMemoryAndItsButtonsStillAct()
    {
        var cut = Render<VmsPage>();
        cut.WaitForAssertion(() => Assert.Equal("Down", Status(cut, "build-agent")));
        var vm = await VmAsync("build-agent");
        await using (var db = await Get<IDbContextFactory<PortalDbContext>>().CreateDbContextAsync(Ct))
            await db.Vms.Where(v => v.Id == vm.Id).ExecuteUpdateAsync(u => u.SetProperty(v => v.MemoryMiB, 3072), Ct);

        Get<PortalNotifier>().Publish(new VmInventoryChanged());

        cut.WaitForAssertion(() => Assert.Contains("3072 MiB", cut.Find("tr.vm-build-agent").TextContent));
        await cut.InvokeAsync(() => Button(cut, "build-agent", "run").Click());
        cut.WaitForAssertion(() => Assert.Equal("Up", Status(cut, "build-agent")), TimeSpan.FromSeconds(10));
    }

    private static string? Status(IRenderedComponent<VmsPage> cut, string vm) =>
        cut.Find($"[data-testid=vm-{vm}-status]").GetAttribute("data-status");

    private static IElement Button(IRenderedComponent<VmsPage> cut, string vm, string action) =>
        cut.Find($"[data-testid=vm-{vm}-{action}]");
}
