namespace Portal.E2E.Infrastructure;

/// <summary>
/// Opens a dialog with a click and waits until it is shown. Measured here (2026-12-05) on the Storage page, a Remove
/// click made just after the Add storage domain dialog closed went unanswered 1 time in 14–21: the browser sent the
/// click to the server and no handler ran; why was not found (MudBlazor's teardown of the closing dialog, or Blazor's
/// event dispatch). A user clicks again; so does this, once, after 5 s without the dialog.
/// </summary>
public static class DialogOpener
{
    public static async Task OpenAsync(ILocator opener, ILocator dialog)
    {
        await opener.ClickAsync();
        try
        {
            await Expect(dialog).ToBeVisibleAsync(new() { Timeout = 5_000 });
        }
        catch (PlaywrightException)
        {
            await opener.ClickAsync();
            await Expect(dialog).ToBeVisibleAsync();
        }
    }

    /// <summary>
    /// Clicks a dialog's confirming button and waits until the dialog is gone, clicking once more after 5 s. Seen on a
    /// real host (2026-12-05): Remove VM's confirm, clicked 0.3 s after the dialog opened while the page took in a stop's
    /// last events, went unanswered in the same way; and in a clean-clone CI run on the embedded host, Commit snapshot's
    /// confirm, clicked 0.5 s after the dialog opened while the page took in a preview's status events (the click was
    /// performed on the enabled, stable button; no command ran and the dialog stayed open).
    /// </summary>
    public static async Task ConfirmAsync(ILocator confirm, ILocator dialog)
    {
        await confirm.ClickAsync();
        try
        {
            await Expect(dialog).ToBeHiddenAsync(new() { Timeout = 5_000 });
        }
        catch (PlaywrightException)
        {
            await confirm.ClickAsync();
            await Expect(dialog).ToBeHiddenAsync();
        }
    }
}
