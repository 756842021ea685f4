using Portal.E2E.Infrastructure;
using Portal.E2E.Pages;

namespace Portal.E2E.Vms;

/// <summary>The VMs page's search box (plain markup): searched in the database after the typing stops, cleared by its button.</summary>
[Collection(SharedPortalCollection.Name)]
public sealed class VmSearchTests(PortalFixture portal) : PortalTest(portal)
{
    [Fact]
    public async Task TypeAPartOfAName_OnlyThatVmShows_ClearShowsThemAllAgain()
    {
        await SignInAsync();
        var vms = new VmsPage(Page);
        await new PortalShell(Page).WaitInteractiveAsync();
        var search = Page.GetByRole(AriaRole.Textbox, new() { Name = "Search VMs" });

        // Key by key, as a person types: the page renders between keys, and what was typed stays as typed.
        await search.PressSequentiallyAsync("legacy-rep", new() { Delay = 60 });

        await Expect(search).ToHaveValueAsync("legacy-rep");
        await Expect(vms.Rows).ToHaveCountAsync(1);
        await Expect(vms.Row(DemoVms.LegacyReports)).ToBeVisibleAsync();

        await Page.GetByRole(AriaRole.Button, new() { Name = "Clear search" }).ClickAsync();

        await Expect(search).ToHaveValueAsync("");
        await Expect(vms.Row(DemoVms.WebFrontend)).ToBeVisibleAsync();
        await Expect(vms.Rows).Not.ToHaveCountAsync(1);
        await Expect(Page.GetByRole(AriaRole.Button, new() { Name = "Clear search" })).ToHaveCountAsync(0);

        // Nothing matches: the grid says so.
        await search.FillAsync("no-such-vm");
        await Expect(vms.Grid).ToContainTextAsync("No virtual machine matches 'no-such-vm'.");
    }
}
