using System.Text.RegularExpressions;
using Portal.Core.Audit;
using Portal.Core.Vms;
using Portal.E2E.Infrastructure;
using static Portal.E2E.RealHost.SerialTerminal;

namespace Portal.E2E.RealHost;

/// <summary>
/// The interactive consoles on a real QEMU guest, through the browser: the busybox shell on the serial console answers
/// what is typed into xterm.js, also after the guest came back from a memory snapshot (the terminal reconnects by
/// itself across the restore); a second operator watches read-only, told who types; the VNC screen shows through
/// noVNC, to one operator in control at a time. The screenshots in docs/ come from here.
/// </summary>
[Trait("Category", "RealHost")]
public sealed class RealQemuConsoleTests(RealHostFixture portal) : PortalTest(portal), IClassFixture<RealHostFixture>
{
    private static float SlowMs => (float)RealHostSteps.Slow.TotalMilliseconds;

    [Fact(Timeout = RealHostSteps.TestTimeoutMs)]
    public async Task SerialConsole_GuestRestoredFromMemory_ReconnectsAndAnswersWhatIsTyped()
    {
        const string vm = "tiny";
        await SignInAsync();
        var steps = new RealHostSteps(Page, Db);
        await steps.OpenVmAsync(vm);
        await steps.StopIfRunningAsync(vm);
        await steps.RunAndWaitForCountersAsync(vm, atLeast: 2);

        // The guest as booted: the shell answers. The terminal shows this boot only (the log file keeps the class's
        // earlier boots too), so its boot_id is read there.
        await OpenSerialAsync(Page);
        await TypeUntilAnsweredAsync(Page, "echo fresh-$((6*7))", "fresh-42");
        await Expect(Terminal(Page)).ToContainTextAsync(new Regex("COUNTER \\d+ boot_id="), new() { Timeout = SlowMs });
        var bootId = GuestConsole.Counters(await Terminal(Page).InnerTextAsync()).Last().BootId;
        var audit = (await Db.AuditAsync(0, vm)).Where(e => e.Operation == "Open serial console").ToList();
        Assert.Contains(audit, e => e.Outcome == AuditOutcome.Success && e.Message == $"{Portal.AdminUser} opened the serial console of {vm}.");

        var snapshotId = await steps.CreateMemorySnapshotAsync(vm, "console");
        await steps.StopAsync(vm);
        await steps.PreviewAsync(snapshotId, restoreMemory: true);

        // Run from memory with the terminal open: it says "Restoring state" while the VM restores, then reconnects.
        await OpenSerialAsync(Page, connected: false);
        await Expect(Page.GetByTestId("vm-serial-down")).ToBeVisibleAsync();
        await Page.EvaluateAsync("""
            () => {
              window.sawRestoring = false;
              new MutationObserver(() => { if (document.querySelector('[data-testid=vm-console-restoring]')) window.sawRestoring = true; })
                .observe(document.body, { subtree: true, childList: true });
            }
            """);
        var mark = await Db.TransitionMarkAsync();
        await Page.GetByRole(AriaRole.Button, new() { Name = $"Run {vm}", Exact = true }).ClickAsync();
        await Expect(Page.GetByTestId("vm-status")).ToHaveAttributeAsync("data-status", "Up", new() { Timeout = SlowMs });
        Assert.Equal([VmStatus.RestoringState, VmStatus.Up], await Db.StatusSequenceAsync(vm, mark));
        Assert.True(await Page.EvaluateAsync<bool>("() => window.sawRestoring"), "the terminal never said 'Restoring state'");
        await Expect(State(Page)).ToHaveTextAsync("Connected", new() { Timeout = SlowMs });

        // The restored guest: its counter goes on with the snapshot's boot_id, and its shell answers.
        await Expect(Terminal(Page)).ToContainTextAsync($"boot_id={bootId}", new() { Timeout = SlowMs });
        await TypeUntilAnsweredAsync(Page, "echo restored-$((6*7))", "restored-42");
        Assert.Empty(GuestConsole.Boots(await Terminal(Page).InnerTextAsync()));
        await Page.GetByTestId("vm-serial-terminal").ScreenshotAsync(new() { Path = Screenshot("console-serial.png") });

        // A second operator watches: read-only, told who types, and what they type is not sent.
        var other = await NewSignedInPageAsync();
        await new RealHostSteps(other, Db).OpenVmAsync(vm);
        await OpenSerialAsync(other);
        await Expect(other.GetByTestId("vm-serial-readonly")).ToContainTextAsync($"Read-only: {Portal.AdminUser} is typing in this console.");
        await Expect(State(other)).ToHaveTextAsync("Connected, read-only");
        await TypeAsync(other, "echo watcher-$((6*7))");
        await TypeAsync(Page, "echo writer-$((6*7))");
        await Expect(Terminal(other)).ToContainTextAsync("writer-42", new() { Timeout = SlowMs });
        // The guest never got the watcher's line: its shell would have answered it in the serial log.
        Assert.DoesNotContain("watcher-42", await File.ReadAllTextAsync(Path.Combine(RealHostFixture.Root, "console", $"{vm}.log"), TestContext.Current.CancellationToken));
        Assert.Contains(await Db.AuditAsync(0, vm), e => e.Operation == "Open serial console" && e.Message.EndsWith("read-only (admin types).".Replace("admin", Portal.AdminUser)));

        // The writer leaves: the watcher types now.
        await Page.GetByRole(AriaRole.Tab, new() { Name = "Log", Exact = true }).ClickAsync();
        await Expect(other.GetByTestId("vm-serial-readonly")).ToHaveCountAsync(0);
        await Expect(State(other)).ToHaveTextAsync("Connected");
        await TypeUntilAnsweredAsync(other, "echo second-$((6*7))", "second-42");

        // The domain restarts under an open terminal (stopped, then booted again): the same terminal reconnects.
        var otherSteps = new RealHostSteps(other, Db);
        await otherSteps.StopAsync(vm);
        await Expect(State(other)).ToHaveTextAsync("Disconnected", new() { Timeout = SlowMs });
        await other.GetByRole(AriaRole.Button, new() { Name = $"Run {vm}", Exact = true }).ClickAsync();
        await Expect(State(other)).ToHaveTextAsync("Connected", new() { Timeout = SlowMs });
        await Expect(Terminal(other)).ToContainTextAsync("--- reconnected ---", new() { Timeout = SlowMs });
        await Expect(Terminal(other)).ToContainTextAsync(new Regex(@"COUNTER \d+ boot_id=(?!" + bootId + ")"), new() { Timeout = SlowMs });
        await TypeUntilAnsweredAsync(other, "echo again-$((6*7))", "again-42");
        await otherSteps.StopAsync(vm); // the class's next test starts from a VM that is down
    }

    [Fact(Timeout = RealHostSteps.TestTimeoutMs)]
    public async Task GraphicalConsole_RunningGuest_ShowsItsScreen()
    {
        const string vm = "tiny";
        await SignInAsync();
        var steps = new RealHostSteps(Page, Db);
        await steps.OpenVmAsync(vm);
        await steps.StopIfRunningAsync(vm);
        await steps.RunAndWaitForCountersAsync(vm, atLeast: 3);

        await Page.GetByRole(AriaRole.Tab, new() { Name = "Console", Exact = true }).ClickAsync();
        await Page.GetByRole(AriaRole.Tab, new() { Name = "Graphical", Exact = true }).ClickAsync();
        await Expect(Page.GetByTestId("vm-vnc-state")).ToHaveTextAsync("Connected", new() { Timeout = SlowMs });
        var canvas = Page.GetByTestId("vm-vnc-screen").Locator("canvas");
        await Expect(canvas).ToBeVisibleAsync();
        // The guest writes its counter on the screen too: wait until the text mode screen has lit pixels.
        await Poll.UntilAsync(() => canvas.EvaluateAsync<int>("""
            c => {
              const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
              let lit = 0;
              for (let i = 0; i < d.length; i += 4) if (d[i] + d[i + 1] + d[i + 2] > 200) lit++;
              return lit;
            }
            """), lit => lit > 500, "the guest's screen to show text", RealHostSteps.Slow);
        var entries = await Db.AuditAsync(0, vm);
        Assert.Contains(entries, e => e.Operation == "Open graphical console" && e.Outcome == AuditOutcome.Success);
        await Page.GetByTestId("vm-vnc-screen").ScreenshotAsync(new() { Path = Screenshot("console-graphical.png") });
        await Expect(Page.GetByTestId("vm-vnc-role")).ToHaveTextAsync("You control the screen");

        // A second operator (the same admin in another browser) watches the screen read-only, told who uses it.
        var other = await NewSignedInPageAsync();
        await new RealHostSteps(other, Db).OpenVmAsync(vm);
        await other.GetByRole(AriaRole.Tab, new() { Name = "Console", Exact = true }).ClickAsync();
        await other.GetByRole(AriaRole.Tab, new() { Name = "Graphical", Exact = true }).ClickAsync();
        await Expect(other.GetByTestId("vm-vnc-state")).ToHaveTextAsync("Connected", new() { Timeout = SlowMs });
        await Expect(other.GetByTestId("vm-vnc-role")).ToHaveTextAsync($"Read-only: {Portal.AdminUser} is using the screen", new() { Timeout = SlowMs });
        await Expect(Page.GetByTestId("vm-vnc-role")).ToHaveTextAsync("You control the screen");
        Assert.Contains(await Db.AuditAsync(0, vm), e => e.Operation == "Open graphical console"
            && e.Message == $"{Portal.AdminUser} opened the graphical console of {vm}, read-only while {Portal.AdminUser} uses it.");

        // The first operator leaves the screen (the Log tab): the watcher controls it now, on the same connection.
        await Page.GetByRole(AriaRole.Tab, new() { Name = "Log", Exact = true }).ClickAsync();
        await Expect(other.GetByTestId("vm-vnc-role")).ToHaveTextAsync("You control the screen", new() { Timeout = SlowMs });
        await Expect(other.GetByTestId("vm-vnc-state")).ToHaveTextAsync("Connected");
        await steps.StopAsync(vm); // the class's next test starts from a VM that is down
    }

    /// <summary>
    /// Where the pictures of the consoles go: beside the test results, or over the README's pictures in docs/screenshots
    /// when PORTAL_UPDATE_SCREENSHOTS=1 (a test run's snackbars and timing should not rewrite them on every run).
    /// </summary>
    private static string Screenshot(string name)
    {
        var folder = Environment.GetEnvironmentVariable("PORTAL_UPDATE_SCREENSHOTS") == "1"
            ? Path.Combine(RepoLayout.Root, "docs", "screenshots")
            : Path.Combine(AppContext.BaseDirectory, "TestResults", "screenshots");
        Directory.CreateDirectory(folder);
        return Path.Combine(folder, name);
    }
}
