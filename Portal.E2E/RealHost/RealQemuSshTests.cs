using System.Text.RegularExpressions;
using Portal.Core.Vms;
using Portal.E2E.Infrastructure;
using static Portal.E2E.RealHost.HostCommands;
using static Portal.E2E.RealHost.SerialTerminal;

namespace Portal.E2E.RealHost;

/// <summary>
/// A host reached over qemu+ssh, as the README says the portal manages one: a memory snapshot previewed and run through
/// the UI, with every libvirt call, lifecycle event and the serial terminal's stream going through ssh. The guest's
/// console log is a file on the host: the Log tab reads it through libvirt once its folder is a storage pool, and says
/// how to make it one before.
/// </summary>
[Trait("Category", "RealHost")]
public sealed class RealQemuSshTests(RealHostOverSshFixture portal) : PortalTest(portal), IClassFixture<RealHostOverSshFixture>
{
    private static float SlowMs => (float)RealHostSteps.Slow.TotalMilliseconds;

    [Fact(Timeout = RealHostSteps.TestTimeoutMs)]
    public async Task OverSsh_MemorySnapshotPreviewedAndRun_TheGuestContinuesFromIt()
    {
        const string vm = "tiny";
        await SignInAsync();
        var steps = new RealHostSteps(Page, Db);
        await steps.OpenVmAsync(vm);
        await Page.GetByRole(AriaRole.Button, new() { Name = $"Run {vm}", Exact = true }).ClickAsync();
        await Expect(Page.GetByTestId("vm-status")).ToHaveAttributeAsync("data-status", "Up", new() { Timeout = SlowMs });
        Assert.Equal("running", Virsh($"domstate {vm}").Trim());

        // The terminal over ssh: the guest's counter shows, and its shell answers what is typed.
        await OpenSerialAsync(Page);
        await Expect(Terminal(Page)).ToContainTextAsync(new Regex("COUNTER [3-9]\\d* boot_id="), new() { Timeout = SlowMs });
        await TypeUntilAnsweredAsync(Page, "echo ssh-$((6*7))", "ssh-42");
        var bootId = GuestConsole.Counters(await Terminal(Page).InnerTextAsync()).Last().BootId;
        await ReadsTheLogOnceItsFolderIsAPoolAsync(bootId);

        var snapshotId = await steps.CreateMemorySnapshotAsync(vm, "over ssh");
        await steps.StopAsync(vm);
        Assert.Equal("shut off", Virsh($"domstate {vm}").Trim());
        await steps.PreviewAsync(snapshotId, restoreMemory: true);

        await OpenSerialAsync(Page, connected: false);
        var mark = await Db.TransitionMarkAsync();
        await Page.GetByRole(AriaRole.Button, new() { Name = $"Run {vm}", Exact = true }).ClickAsync();
        await Expect(Page.GetByTestId("vm-status")).ToHaveAttributeAsync("data-status", "Up", new() { Timeout = SlowMs });

        // Restored, not booted: the statuses, and the guest's own boot_id going on in the terminal, with no new boot.
        Assert.Equal([VmStatus.RestoringState, VmStatus.Up], await Db.StatusSequenceAsync(vm, mark));
        await Expect(State(Page)).ToHaveTextAsync("Connected", new() { Timeout = SlowMs });
        await TypeUntilAnsweredAsync(Page, "echo restored-$((6*7))", "restored-42");
        // The terminal keeps what it showed before the stop: the proof is a counter printed after the answer.
        var after = await Poll.UntilAsync(async () =>
        {
            var text = await Terminal(Page).InnerTextAsync();
            return text[(text.LastIndexOf("restored-42", StringComparison.Ordinal) + "restored-42".Length)..];
        }, t => GuestConsole.Counters(t).Count > 0, "a counter printed by the restored guest", RealHostSteps.Slow);
        Assert.Equal(bootId, GuestConsole.Counters(after).First().BootId);
        Assert.Empty(GuestConsole.Boots(await Terminal(Page).InnerTextAsync()));
        await steps.StopAsync(vm);
    }

    /// <summary>The Log tab, with the guest's folder of console logs not a pool, then a (transient) pool.</summary>
    private async Task ReadsTheLogOnceItsFolderIsAPoolAsync(string bootId)
    {
        const string pool = "portal-console-ssh";
        var folder = $"{RealHostFixture.Root}/console";
        DestroyPool(pool);
        try
        {
            await Page.GetByRole(AriaRole.Tab, new() { Name = "Log", Exact = true }).ClickAsync();
            await Expect(Page.GetByTestId("vm-console-unavailable")).ToContainTextAsync(
                $"The console log is {folder}/tiny.log on the host of {RealHostOverSshFixture.Uri}, in no storage pool", new() { Timeout = SlowMs });
            await Expect(Page.GetByTestId("vm-console-unavailable")).ToContainTextAsync($"virsh pool-define-as NAME dir --target {folder}");

            Virsh($"pool-create-as {pool} dir --target {folder}");
            Assert.Contains(pool, Virsh("pool-list --name").Split('\n').Select(l => l.Trim()));

            // The tab follows the file through ssh: the guest's counters of this boot, and new ones as it prints them.
            await Expect(Page.GetByTestId("vm-console-unavailable")).ToHaveCountAsync(0, new() { Timeout = SlowMs });
            await Expect(Page.GetByTestId("vm-console")).ToContainTextAsync($"boot_id={bootId}", new() { Timeout = SlowMs });
            var seen = GuestConsole.Counters(await Page.GetByTestId("vm-console").InnerTextAsync()).Last().Counter;
            await Poll.UntilAsync(() => Page.GetByTestId("vm-console").InnerTextAsync(),
                t => GuestConsole.Counters(t).Last().Counter > seen, "a counter printed after the first read", RealHostSteps.Slow);
            // The box shows the newest line and scrolls back to the rest (the whole boot is taller than it).
            var box = await Page.GetByTestId("vm-console").EvaluateAsync<double[]>(
                "p => { const s = p.parentElement; return [s.getBoundingClientRect().bottom - p.getBoundingClientRect().bottom, s.scrollHeight - s.clientHeight]; }");
            Assert.InRange(box[0], -1, 1); // the log's end at the box's end
            Assert.True(box[1] > 0, "the box scrolls");
        }
        finally { DestroyPool(pool); }
    }

    private static void DestroyPool(string pool) => Virsh($"pool-destroy {pool}"); // transient: gone once stopped
}
