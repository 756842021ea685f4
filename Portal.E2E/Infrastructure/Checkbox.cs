namespace Portal.E2E.Infrastructure;

/// <summary>
/// Sets a MudBlazor checkbox the way a user does: a click, then the box seen in the wanted state. Playwright's own
/// <c>SetCheckedAsync</c> reads the box once, right after its click; on CI (2026-12-05) one such read, in a dialog
/// still loading its data, found the box unchanged ("Clicking the checkbox did not change its state"), not
/// reproduced in 40 direct tries here. The box is read again until it shows the state; a click that changed nothing
/// after 2 s is made again, at most three clicks in all.
/// </summary>
public static class Checkbox
{
    public static async Task SetAsync(ILocator box, bool state)
    {
        for (var click = 1; ; click++)
        {
            if (await box.IsCheckedAsync() == state) return;
            await box.ClickAsync();
            try
            {
                await Expect(box).ToBeCheckedAsync(new() { Checked = state, Timeout = 2_000 });
                return;
            }
            catch (PlaywrightException) when (click < 3) { }
        }
    }
}
