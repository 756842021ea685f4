using Bunit;
using Microsoft.AspNetCore.Components;
using Portal.Components.Pages.Shared;
using Portal.Components.Pages.Vms;
using Portal.Core;
using Portal.Core.Audit;
using Portal.Core.Hypervisor;
using Portal.Core.Vms;
using Portal.Tests.Components.Support;

namespace Portal.Tests.Components.Vms;

/// <summary>The VM page follows its own VM's events only, each with the one query it needs.</summary>
public sealed class VmDetailsPageTests : PortalComponentTest
{
    [Fact]
    public async Task Page_WatchesOnlyItsVm_AndStopsWhenClosed()
    {
        var build = await VmAsync("build-agent");
        var web = await VmAsync("web-frontend");
        RenderProviders();

        var cut = Render<VmDetailsPage>(p => p.Add(x => x.Id, build.Id));
        cut.WaitForElement("[data-testid=vm-status]");

        Assert.Equal(1, Get<PortalNotifier>().WatchersOf(build.Id));
        Assert.Equal(0, Get<PortalNotifier>().WatchersOf(web.Id));
        await DisposeComponentsAsync();
        Assert.Equal(0, Get<PortalNotifier>().WatchersOf(build.Id));
    }

    [Fact]
    public async Task Page_VmStartedOnTheHost_StatusChangesLive()
    {
        var build = await VmAsync("build-agent");
        RenderProviders();
        var cut = Render<VmDetailsPage>(p => p.Add(x => x.Id, build.Id));
        cut.WaitForAssertion(() => Assert.Equal("Down", cut.Find("[data-testid=vm-status]").GetAttribute("data-status")));

        await Get<IHypervisor>().StartAsync(build.Id, Ct);
        await Get<VmMonitor>().RefreshFromHostAsync(build.Id, "libvirt event Started", Ct);

        cut.WaitForAssertion(() => Assert.Equal("Up", cut.Find("[data-testid=vm-status]").GetAttribute("data-status")));
    }

    [Fact]
    public async Task Page_SnapshotTaken_TheSnapshotsAndTheAuditEntryAppear()
    {
        var build = await VmAsync("build-agent");
        RenderProviders();
        var cut = Render<VmDetailsPage>(p => p.Add(x => x.Id, build.Id));
        cut.WaitForElement("[data-testid=vm-status]");

        await SnapshotAsync(build.Id, "nightly", saveMemory: false);

        cut.WaitForAssertion(() => Assert.Contains("nightly", cut.Markup));
    }

    [Theory]
    [InlineData(99, false)]
    [InlineData(100, true)]
    public async Task EventsTab_AsManyEntriesAsItShows_LinksToTheAuditLogFilteredToTheVm(int entries, bool linked)
    {
        var build = await VmAsync("build-agent");
        for (var i = 0; i < entries; i++) await Get<AuditLog>().WriteAsync("admin", build.Id, build.Name, "Bench", AuditOutcome.Success, $"entry {i}");
        RenderProviders();
        var cut = Render<VmDetailsPage>(p => p.Add(x => x.Id, build.Id));
        cut.WaitForElement("[data-testid=vm-status]");

        await cut.InvokeAsync(() => cut.FindAll(".mud-tab").Single(t => t.TextContent.Trim() == "Events").ClickAsync(new()));

        cut.WaitForAssertion(() => Assert.Equal(entries, cut.FindAll("[data-testid=audit-row]").Count));
        Assert.Equal(linked ? ["audit?vm=build-agent"] : [], cut.FindAll("[data-testid=vm-events-all]").Select(a => a.GetAttribute("href")));
    }

    private const string Stateless = "[data-testid=vm-stateless-toggle]";

    [Fact]
    public async Task Stateless_Toggled_TheVmBecomesStatelessAndTheSwitchSaysSo()
    {
        var build = await VmAsync("build-agent");
        RenderProviders();
        var cut = Render<VmDetailsPage>(p => p.Add(x => x.Id, build.Id));
        await OpenGeneralTabAsync(cut);

        await cut.InvokeAsync(() => cut.Find(Stateless).ChangeAsync(new ChangeEventArgs { Value = true }));

        Assert.True((await VmAsync(build.Id)).IsStateless);
        cut.WaitForAssertion(() => Assert.True(cut.Find(Stateless).HasAttribute("checked")));
        Assert.DoesNotContain(JSInterop.Invocations, i => i.Identifier == "portalLayout.showChecked");
    }

    [Fact]
    public async Task StatelessSwitch_OwnerDoesNotTakeTheChange_ShowsTheOwnersValue()
    {
        // The page runs the command and it refuses (the VM started a moment before, and the page has not heard yet), or
        // fails: the VM's flag did not change, and neither does the switch. MudSwitch alone would keep the refused value.
        var asked = new List<bool>();
        var cut = Render<ActionSwitch>(p => p.Add(s => s.Operation, "Edit VM").Add(s => s.Value, false)
            .Add(s => s.ValueChanged, (bool v) => asked.Add(v)).AddUnmatched("data-testid", "vm-stateless-toggle"));

        await cut.InvokeAsync(() => cut.Find(Stateless).ChangeAsync(new ChangeEventArgs { Value = true }));

        Assert.Equal([true], asked);
        Assert.False(cut.Find(Stateless).HasAttribute("checked"));
        // The browser flipped its checkbox with the click: it is put back.
        cut.WaitForAssertion(() => Assert.Equal([false], ShowChecked()));
    }

    [Fact]
    public async Task Stateless_ToggledWhileRefused_SaysWhyAndPutsTheCheckboxBack()
    {
        // The page's render that disables the switch is on its way to the browser when the user clicks.
        var web = await VmAsync("web-frontend");
        var providers = RenderProviders();
        var cut = Render<VmDetailsPage>(p => p.Add(x => x.Id, web.Id));
        await OpenGeneralTabAsync(cut);
        Assert.True(cut.Find(Stateless).HasAttribute("disabled"));

        await cut.InvokeAsync(() => cut.Find(Stateless).ChangeAsync(new ChangeEventArgs { Value = true }));

        providers.WaitForAssertion(() => Assert.Contains("Edit VM was refused: The VM must be Down to change whether it is stateless. It is Up.", providers.Markup));
        cut.WaitForAssertion(() => Assert.Equal([false], ShowChecked()));
        Assert.DoesNotContain(await Get<PortalQueries>().AuditAsync(vmId: web.Id, ct: Ct), e => e.Operation == "Edit VM");
    }

    private static async Task OpenGeneralTabAsync(IRenderedComponent<VmDetailsPage> cut)
    {
        cut.WaitForElement("[data-testid=vm-status]");
        await cut.InvokeAsync(() => cut.FindAll("[role=tab]").Single(t => t.TextContent.Trim() == "General").ClickAsync(new()));
        cut.WaitForElement(Stateless);
    }

    /// <summary>The values the page put the browser's switch checkbox back to (portalLayout.showChecked).</summary>
    private List<bool> ShowChecked() =>
        [.. JSInterop.Invocations.Where(i => i.Identifier == "portalLayout.showChecked").Select(i => (bool)i.Arguments[1]!)];

    /// <summary>
    /// Under load the notifier carries many events (other VMs' audit entries and inventory changes, repeated snapshot
    /// and status notices). Each used to reload the whole page and render it with its tab, which kept the circuit busy
    /// and left clicks unanswered. Now only a change renders.
    /// </summary>
    [Fact]
    public async Task LiveUpdates_BurstOfEventsThatChangeNothing_RenderOnlyTheRealChange()
    {
        var vm = await VmAsync("web-frontend");
        var other = await VmAsync("db-primary");
        RenderProviders();
        var cut = Render<VmDetailsPage>(p => p.Add(x => x.Id, vm.Id));
        cut.WaitForAssertion(() => Assert.Equal("Up", cut.Find("[data-testid=vm-status]").GetAttribute("data-status")));
        var rendersBefore = PageRenders(cut);

        var notifier = Get<PortalNotifier>();
        var snapshot = (await Get<Portal.Core.PortalQueries>().SnapshotsAsync(vm.Id, Ct)).First().Id;
        for (var i = 0; i < 100; i++)
        {
            notifier.Publish(new VmInventoryChanged());
            notifier.Publish(new AuditAdded(new AuditEntry { Id = 1_000_000 + i, User = "someone", VmId = other.Id, Operation = "Run VM", Message = "other VM" }));
            notifier.Publish(new SnapshotChanged(vm.Id, snapshot, "Ok"));
            notifier.Publish(new VmStatusChanged(vm.Id, vm.Name, VmStatus.Up, VmStatus.Up, DateTime.UtcNow, "repeated"));
        }
        await Get<VmMonitor>().SetStatusAsync(vm.Id, VmStatus.Paused, "paused by the test", Ct);

        cut.WaitForAssertion(() => Assert.Equal("Paused", cut.Find("[data-testid=vm-status]").GetAttribute("data-status")));
        // The 400 events that changed nothing were folded into a few reloads that rendered nothing; the pause rendered
        // (the page renders a few times per change, with MudTabs' own callbacks; it was once per event).
        Assert.InRange(PageRenders(cut) - rendersBefore, 1, 10);
    }

    [Fact]
    public async Task LiveUpdates_DumpProgressTicks_RenderOncePerPercent()
    {
        var vm = await VmAsync("web-frontend");
        RenderProviders();
        var cut = Render<VmDetailsPage>(p => p.Add(x => x.Id, vm.Id));
        cut.WaitForElement("[data-testid=vm-name]");
        var rendersBefore = PageRenders(cut);

        var notifier = Get<PortalNotifier>();
        // libvirt's job info is read every 100 ms; a slow dump reports the same percentage many times.
        for (var i = 0; i < 200; i++) notifier.Publish(new OperationProgress(vm.Id, "Create snapshot", 0.10 + i * 0.0001, false));

        cut.WaitForElement("[data-testid=vm-progress]");
        // 10 % and 11 %: two renders of the page (and what they set off), not two hundred.
        Assert.InRange(PageRenders(cut) - rendersBefore, 1, 10);
    }

    /// <summary>
    /// How often the page itself rendered: its breadcrumbs render only with it (bUnit's RenderCount of the page also
    /// counts every render of every MudBlazor child, tooltips and popovers included).
    /// </summary>
    private static int PageRenders(IRenderedComponent<VmDetailsPage> cut) => cut.FindComponent<MudBlazor.MudBreadcrumbs>().RenderCount;
}
