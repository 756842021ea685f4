using Portal.E2E.Infrastructure;
using Portal.E2E.Pages;

namespace Portal.E2E.Layout;

/// <summary>
/// A dialog that asks for text has its first box focused when it opens, so an operator can type at once. Measured
/// before (2026-12-06): the box got focus and, ~10 ms later, MudBlazor's focus trap moved it to an empty element of its
/// own (a dialog's default focus is that element), so the keys typed went nowhere and the box stayed empty.
/// The keys are typed one by one over ~0.5 s from the moment the dialog is shown, so a focus moved during that time
/// loses some of them.
/// </summary>
[Collection(SharedPortalCollection.Name)]
public sealed class DialogFocusTests(PortalFixture portal) : PortalTest(portal)
{
    private const string Typed = "Typed at once";

    private async Task TypeAsync() => await Page.Keyboard.TypeAsync(Typed, new() { Delay = 40 });

    [Fact]
    public async Task CreateSnapshot_TypedAsItOpens_GoesIntoTheDescription()
    {
        await SignInAsync();
        await OpenVmDetailsAsync(DemoVms.WebFrontend);
        var dialog = new CreateSnapshotDialog(Page);

        await new SnapshotsTab(Page).CreateButton.ClickAsync();
        await Expect(dialog.Dialog).ToBeVisibleAsync();
        await TypeAsync();

        await Expect(dialog.Description).ToHaveValueAsync(Typed);
        // The counter is the server's: it has the whole text.
        await Expect(dialog.Dialog).ToContainTextAsync($"{Typed.Length} / 4000");
        await dialog.Dialog.GetByTestId("create-snapshot-cancel").ClickAsync();
        await Expect(dialog.Dialog).ToBeHiddenAsync();
    }

    [Fact]
    public async Task AddHost_TypedAsItOpens_GoesIntoTheName()
    {
        await SignInAsync();
        var hosts = new HostsPage(Page);
        await Page.GotoAsync(HostsPage.Path);
        await new PortalShell(Page).WaitInteractiveAsync();
        var dialog = new AddHostDialog(Page);

        await hosts.AddButton.ClickAsync();
        await Expect(dialog.Dialog).ToBeVisibleAsync();
        await TypeAsync();

        await Expect(dialog.Name).ToHaveValueAsync(Typed);
        await Expect(dialog.Uri).ToHaveValueAsync("");
        await dialog.Dialog.GetByTestId("add-host-cancel").ClickAsync();
        await Expect(dialog.Dialog).ToBeHiddenAsync();
    }
}
