using System.Text.RegularExpressions;
using Portal.Core.Vms;
using Portal.E2E.Infrastructure;
using static Portal.E2E.RealHost.HostCommands;
using static Portal.E2E.RealHost.SerialTerminal;

namespace Portal.E2E.RealHost;

/// <summary>
/// A host reached over qemu+ssh, as the README says the portal manages one: a memory snapshot previewed and run through
/// the UI, with every libvirt call, lifecycle event and the serial terminal's stream going through ssh. The guest's
/// console log is a file on the host, which the portal cannot read over libvirt: the Log tab says so, and the terminal
/// is how the operator sees the guest.
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
        var log = Page.GetByRole(AriaRole.Tab, new() { Name = "Log", Exact = true });
        await log.ClickAsync();
        await Expect(Page.GetByTestId("vm-console-unavailable")).ToHaveTextAsync($"The console log is on the remote host of {RealHostOverSshFixture.Uri}.");

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
}
