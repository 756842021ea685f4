using System.Text.RegularExpressions;

namespace Portal.E2E.RealHost;

/// <summary>The VM page's interactive serial terminal (xterm.js in the Console tab's Serial tab), as an operator uses it.</summary>
public static class SerialTerminal
{
    public static ILocator Terminal(IPage page) => page.GetByTestId("vm-serial-terminal").Locator(".xterm-rows");

    public static ILocator State(IPage page) => page.GetByTestId("vm-serial-state");

    public static async Task OpenSerialAsync(IPage page, bool connected = true)
    {
        var console = page.GetByRole(AriaRole.Tab, new() { Name = "Console", Exact = true });
        if (await console.GetAttributeAsync("aria-selected") != "true") await console.ClickAsync();
        var serial = page.GetByRole(AriaRole.Tab, new() { Name = "Serial", Exact = true });
        if (await serial.GetAttributeAsync("aria-selected") != "true") await serial.ClickAsync();
        if (connected) await Expect(State(page)).ToHaveTextAsync(new Regex("^Connected"), new() { Timeout = (float)RealHostSteps.Slow.TotalMilliseconds });
    }

    public static async Task TypeAsync(IPage page, string line)
    {
        await page.GetByTestId("vm-serial-terminal").ClickAsync();
        await page.Keyboard.TypeAsync(line);
        await page.Keyboard.PressAsync("Enter");
    }

    /// <summary>
    /// Types <paramref name="line"/> until the guest's shell answers <paramref name="answer"/>: a busybox shell that is not
    /// reading its tty yet (a guest still starting up on loaded cores) drops what arrives, so the line is typed again, up
    /// to five times. A console that never delivers keystrokes still fails here, and so does a read-only one.
    /// </summary>
    public static async Task TypeUntilAnsweredAsync(IPage page, string line, string answer)
    {
        // Only the writer's keys reach the guest: a read-only terminal (someone else holds the console) fails here, by name.
        await Expect(page.GetByTestId("vm-serial-writer")).ToBeVisibleAsync();
        for (var attempt = 1; ; attempt++)
        {
            await TypeAsync(page, line);
            try
            {
                await Expect(Terminal(page)).ToContainTextAsync(answer, new() { Timeout = 30_000 });
                return;
            }
            catch (PlaywrightException) when (attempt < 5) { }
        }
    }
}
