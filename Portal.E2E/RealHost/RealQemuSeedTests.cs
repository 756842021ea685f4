using Portal.Core.Snapshots;
using Portal.Core.Vms;
using Portal.E2E.Infrastructure;
using Portal.E2E.Pages;

namespace Portal.E2E.RealHost;

/// <summary>
/// The seed cases Preview 1, Run 1, Commit 1 and Run 2 on a real QEMU guest, through the portal's UI. "The previous
/// state was restored" is read in the browser's Console tab: after a run from memory the guest's counter continues
/// from the snapshot's value with the same boot_id; after a fresh boot GUEST-BOOTED shows a new boot_id and COUNTER 0.
/// </summary>
[Trait("Category", "RealHost")]
public sealed class RealQemuSeedTests(RealHostFixture portal) : PortalTest(portal), IClassFixture<RealHostFixture>
{
    private static float SlowMs => (float)RealHostSteps.Slow.TotalMilliseconds;

    [Fact(Timeout = RealHostSteps.TestTimeoutMs)]
    public async Task PreviewWithMemory_ThenRunTwice_RestoresThenBootsFresh()
    {
        const string vm = "tiny";
        await SignInAsync();
        var steps = new RealHostSteps(Page, Db);
        await steps.OpenVmAsync(vm);

        var (bootId, before) = await steps.RunAndWaitForCountersAsync(vm, atLeast: 3);
        var snapshotId = await steps.CreateMemorySnapshotAsync(vm, "proof");
        var after = (await steps.CountersAsync()).Last().Counter;
        await steps.WaitForCounterAsync(after + RealHostSteps.LogLag + 3);
        var highest = (await steps.CountersAsync()).Last().Counter;

        await steps.StopAsync(vm);
        await steps.PreviewAsync(snapshotId, restoreMemory: true);

        // Preview 1: the run restores the memory (RestoringState -> Up, never PoweringUp) ...
        var restored = await steps.RunAndReadNewOutputAsync(vm);
        Assert.Empty(GuestConsole.Boots(restored.Text));
        var first = GuestConsole.Counters(restored.Text).First();
        Assert.Equal(bootId, first.BootId);
        Assert.InRange(first.Counter, before, after + RealHostSteps.LogLag + 1);
        Assert.True(first.Counter < highest, $"the counter went back to the snapshot's value ({first.Counter}), below the {highest} it had reached");
        Assert.Equal([VmStatus.RestoringState, VmStatus.Up], restored.Statuses);
        Assert.Null((await Db.SnapshotsAsync(vm)).Single(s => s.Type == SnapshotType.Active).MemoryVolumeId);

        // ... Run 1: and the next run boots fresh.
        await steps.StopAsync(vm);
        var fresh = await steps.RunAndReadNewOutputAsync(vm, waitFor: "COUNTER 1 ");
        var newBoot = Assert.Single(GuestConsole.Boots(fresh.Text));
        Assert.NotEqual(bootId, newBoot);
        Assert.Equal(0, GuestConsole.Counters(fresh.Text).First().Counter);
        Assert.Equal([VmStatus.PoweringUp, VmStatus.Up], fresh.Statuses);

        // Commit 1: undo, preview the memory snapshot again, commit it: the Active has the memory and the run restores it.
        await steps.StopAsync(vm);
        var previewOverlay = await ActiveDiskFileAsync(vm);
        Assert.True(File.Exists(previewOverlay), previewOverlay);
        await Page.GetByRole(AriaRole.Tab, new() { Name = "Snapshots" }).ClickAsync();
        await Page.GetByTestId("snapshot-undo").ClickAsync();
        await Expect(Page.GetByTestId("vm-in-preview")).ToHaveCountAsync(0, new() { Timeout = SlowMs });
        // The overlay the preview wrote to belonged to it alone: undoing the preview deletes it.
        Assert.False(File.Exists(previewOverlay), $"{previewOverlay} was left behind by the undone preview");
        await steps.PreviewAsync(snapshotId, restoreMemory: true);
        await Page.GetByTestId("snapshot-commit").ClickAsync();
        await new ConfirmDialog(Page, "Commit snapshot").ConfirmAsync();
        await Expect(Page.GetByTestId("vm-in-preview")).ToHaveCountAsync(0, new() { Timeout = SlowMs });
        await Expect(Page.GetByTestId("vm-next-run-restores")).ToBeVisibleAsync(new() { Timeout = SlowMs });
        var committed = await steps.RunAndReadNewOutputAsync(vm);
        Assert.Empty(GuestConsole.Boots(committed.Text));
        Assert.Equal(bootId, GuestConsole.Counters(committed.Text).First().BootId);
        Assert.InRange(GuestConsole.Counters(committed.Text).First().Counter, before, after + RealHostSteps.LogLag + 1);
        Assert.Equal([VmStatus.RestoringState, VmStatus.Up], committed.Statuses);
        await steps.StopAsync(vm);
    }

    [Fact(Timeout = RealHostSteps.TestTimeoutMs)]
    public async Task StatelessVm_EveryRun_RestoresTheSameMemory()
    {
        const string vm = "tiny-stateless";
        await SignInAsync();
        var steps = new RealHostSteps(Page, Db);
        await steps.OpenVmAsync(vm);

        // A stateless VM cannot be snapshotted while it runs: take the memory while it is not stateless.
        await steps.SetStatelessAsync(vm, false);
        var (bootId, before) = await steps.RunAndWaitForCountersAsync(vm, atLeast: 3);
        var snapshotId = await steps.CreateMemorySnapshotAsync(vm, "kiosk state");
        var after = (await steps.CountersAsync()).Last().Counter;
        await steps.StopAsync(vm);
        await steps.PreviewAsync(snapshotId, restoreMemory: true);
        await Page.GetByTestId("snapshot-commit").ClickAsync();
        await new ConfirmDialog(Page, "Commit snapshot").ConfirmAsync();
        await Expect(Page.GetByTestId("vm-in-preview")).ToHaveCountAsync(0, new() { Timeout = SlowMs });
        await steps.SetStatelessAsync(vm, true);

        for (var run = 1; run <= 2; run++)
        {
            var output = await steps.RunAndReadNewOutputAsync(vm);
            Assert.Empty(GuestConsole.Boots(output.Text));
            var first = GuestConsole.Counters(output.Text).First();
            Assert.Equal(bootId, first.BootId);
            // "after" was read from the serial log right after the snapshot returned; the log can be behind the guest.
            Assert.InRange(first.Counter, before, after + RealHostSteps.LogLag + 1);
            Assert.Equal([VmStatus.RestoringState, VmStatus.Up], output.Statuses);
            var throwAway = await ActiveDiskFileAsync(vm);
            Assert.True(File.Exists(throwAway), throwAway);
            await steps.StopAsync(vm);
            // The run's throw-away overlay goes with the run.
            await Poll.UntilAsync(() => Task.FromResult(File.Exists(throwAway)), exists => !exists, $"{throwAway} to be deleted after the stateless run", RealHostSteps.Slow);
            // Stopping brings the Stateless snapshot back: the next run has the memory again.
            await Expect(Page.GetByTestId("vm-next-run-restores")).ToBeVisibleAsync(new() { Timeout = SlowMs });
        }
    }

    /// <summary>The image the VM's Active configuration writes to.</summary>
    private async Task<string> ActiveDiskFileAsync(string vm)
    {
        var active = (await Db.SnapshotsAsync(vm)).Single(s => s.Type == SnapshotType.Active);
        return Assert.Single(DomainXml.DiskFiles(active.ConfigurationXml));
    }
}
