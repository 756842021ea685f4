using System.Text.RegularExpressions;
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
public sealed class RealQemuSeedTests(RealHostFixture portal) : RealHostTest(portal), IClassFixture<RealHostFixture>
{
    [Fact]
    public async Task PreviewWithMemory_ThenRunTwice_RestoresThenBootsFresh()
    {
        const string vm = "tiny";
        await SignInAsync();
        var details = await OpenAsync(vm);

        var (bootId, before) = await RunAndWaitForCountersAsync(details, vm, atLeast: 3);
        var snapshotId = await CreateMemorySnapshotAsync(details, vm, "proof");
        var after = (await CountersAsync(details)).Last().Counter;
        await WaitForCounterAsync(details, after + 3);
        var highest = (await CountersAsync(details)).Last().Counter;

        await StopAsync(details, vm);
        await PreviewAsync(details, snapshotId, restoreMemory: true);

        // Preview 1: the run restores the memory (RestoringState -> Up, never PoweringUp) ...
        var restored = await RunAndReadNewOutputAsync(details, vm);
        Assert.Empty(GuestConsole.Boots(restored.Text));
        var first = GuestConsole.Counters(restored.Text).First();
        Assert.Equal(bootId, first.BootId);
        Assert.InRange(first.Counter, before, after + 1);
        Assert.True(first.Counter < highest, $"the counter went back to the snapshot's value ({first.Counter}), below the {highest} it had reached");
        Assert.Equal([VmStatus.RestoringState, VmStatus.Up], restored.Statuses);
        Assert.Null((await Db.SnapshotsAsync(vm)).Single(s => s.Type == global::Portal.Core.Snapshots.SnapshotType.Active).MemoryVolumeId);

        // ... Run 1: and the next run boots fresh.
        await StopAsync(details, vm);
        var fresh = await RunAndReadNewOutputAsync(details, vm, waitFor: "COUNTER 1 ");
        var newBoot = Assert.Single(GuestConsole.Boots(fresh.Text));
        Assert.NotEqual(bootId, newBoot);
        Assert.Equal(0, GuestConsole.Counters(fresh.Text).First().Counter);
        Assert.Equal([VmStatus.PoweringUp, VmStatus.Up], fresh.Statuses);

        // Commit 1: undo, preview the memory snapshot again, commit it: the Active has the memory and the run restores it.
        await StopAsync(details, vm);
        var previewOverlay = await ActiveDiskFileAsync(vm);
        Assert.True(File.Exists(previewOverlay), previewOverlay);
        await details.Page.GetByRole(AriaRole.Tab, new() { Name = "Snapshots" }).ClickAsync();
        await details.Page.GetByTestId("snapshot-undo").ClickAsync();
        await Expect(details.Page.GetByTestId("vm-in-preview")).ToHaveCountAsync(0, new() { Timeout = (float)Boot.TotalMilliseconds });
        // The overlay the preview wrote to belonged to it alone: undoing the preview deletes it.
        Assert.False(File.Exists(previewOverlay), $"{previewOverlay} was left behind by the undone preview");
        await PreviewAsync(details, snapshotId, restoreMemory: true);
        await details.Page.GetByTestId("snapshot-commit").ClickAsync();
        await details.Page.GetByTestId("confirm-ok").ClickAsync();
        await Expect(details.Page.GetByTestId("vm-in-preview")).ToHaveCountAsync(0, new() { Timeout = (float)Boot.TotalMilliseconds });
        await Expect(details.Page.GetByTestId("vm-next-run-restores")).ToBeVisibleAsync(new() { Timeout = (float)Boot.TotalMilliseconds });
        var committed = await RunAndReadNewOutputAsync(details, vm);
        Assert.Empty(GuestConsole.Boots(committed.Text));
        Assert.Equal(bootId, GuestConsole.Counters(committed.Text).First().BootId);
        Assert.InRange(GuestConsole.Counters(committed.Text).First().Counter, before, after + 1);
        Assert.Equal([VmStatus.RestoringState, VmStatus.Up], committed.Statuses);
        await StopAsync(details, vm);
    }

    [Fact]
    public async Task StatelessVm_EveryRun_RestoresTheSameMemory()
    {
        const string vm = "tiny-stateless";
        await SignInAsync();
        var details = await OpenAsync(vm);

        // A stateless VM cannot be snapshotted while it runs: take the memory while it is not stateless.
        await SetStatelessAsync(details, false);
        var (bootId, before) = await RunAndWaitForCountersAsync(details, vm, atLeast: 3);
        var snapshotId = await CreateMemorySnapshotAsync(details, vm, "kiosk state");
        var after = (await CountersAsync(details)).Last().Counter;
        await StopAsync(details, vm);
        await PreviewAsync(details, snapshotId, restoreMemory: true);
        await details.Page.GetByTestId("snapshot-commit").ClickAsync();
        await details.Page.GetByTestId("confirm-ok").ClickAsync();
        await Expect(details.Page.GetByTestId("vm-in-preview")).ToHaveCountAsync(0, new() { Timeout = (float)Boot.TotalMilliseconds });
        await SetStatelessAsync(details, true);

        for (var run = 1; run <= 2; run++)
        {
            var output = await RunAndReadNewOutputAsync(details, vm);
            Assert.Empty(GuestConsole.Boots(output.Text));
            var first = GuestConsole.Counters(output.Text).First();
            Assert.Equal(bootId, first.BootId);
            Assert.InRange(first.Counter, before, after + 1);
            Assert.Equal([VmStatus.RestoringState, VmStatus.Up], output.Statuses);
            var throwAway = await ActiveDiskFileAsync(vm);
            Assert.True(File.Exists(throwAway), throwAway);
            await StopAsync(details, vm);
            // The run's throw-away overlay goes with the run.
            await Poll.UntilAsync(() => Task.FromResult(File.Exists(throwAway)), exists => !exists, $"{throwAway} to be deleted after the stateless run", Boot);
            // Stopping brings the Stateless snapshot back: the next run has the memory again.
            await Expect(details.Page.GetByTestId("vm-next-run-restores")).ToBeVisibleAsync(new() { Timeout = (float)Boot.TotalMilliseconds });
        }
    }
}
