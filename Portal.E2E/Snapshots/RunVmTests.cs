using Portal.Core.Snapshots;
using Portal.Core.Vms;
using Portal.E2E.Infrastructure;
using Portal.E2E.Pages;

namespace Portal.E2E.Snapshots;

/// <summary>
/// Seed plan, Run 1–2: memory is restored on the first run only, except for a stateless VM, which restores it on every
/// run. The portal's host already runs kiosk-stateless (see <see cref="KioskRunningPortalFixture"/>).
/// </summary>
public sealed class RunVmTests(KioskRunningPortalFixture portal) : PortalTest(portal), IClassFixture<KioskRunningPortalFixture>
{
    [Fact]
    public async Task Run_ActiveHasMemory_FirstRunRestoresSecondBootsFresh()
    {
        const string vm = DemoVms.WebFrontend;
        await SignInAsync();
        await OpenVmDetailsAsync(vm);
        var steps = new VmSteps(Page, Db, vm);
        var snapshot = await steps.CreateSnapshotAsync("Warm cache", saveMemory: true);
        await steps.StopAsync();
        await steps.PreviewWithPopupAsync("Warm cache", restoreMemory: true);
        await Expect(steps.Details.NextRunRestores).ToBeVisibleAsync();

        Assert.Equal([VmStatus.RestoringState, VmStatus.Up], await steps.RunAsync());

        await steps.ExpectTimelineEndsWithAsync(VmStatus.Down, VmStatus.RestoringState, VmStatus.Up);
        // The memory has been used: the Current state no longer holds it, the snapshot still does.
        await Expect(SnapshotsTab.Memory(steps.Snapshots.CurrentRow)).ToHaveAccessibleNameAsync("No memory");
        await Expect(SnapshotsTab.Memory(steps.Snapshots.Row("Warm cache"))).ToHaveAccessibleNameAsync("Has memory");
        await Expect(steps.Details.NextRunRestores).ToHaveCountAsync(0);
        var snapshots = await Db.SnapshotsAsync(vm);
        Assert.Null(snapshots.Single(s => s.Type == SnapshotType.Active).MemoryVolumeId);
        Assert.Equal(snapshot.MemoryVolumeId, snapshots.Single(s => s.Id == snapshot.Id).MemoryVolumeId);

        await steps.StopAsync();
        Assert.Equal([VmStatus.PoweringUp, VmStatus.Up], await steps.RunAsync());

        await steps.ExpectTimelineEndsWithAsync(VmStatus.Down, VmStatus.PoweringUp, VmStatus.Up);
    }

    [Fact]
    public async Task Run_StatelessVmWithMemory_EveryRunRestores()
    {
        const string vm = DemoVms.KioskStateless;
        await SignInAsync();
        await OpenVmDetailsAsync(vm);
        var steps = new VmSteps(Page, Db, vm);
        await steps.Details.ExpectStatusAsync("Up");
        var snapshot = await steps.GiveActiveMemoryAsync("Kiosk ready");
        Assert.NotNull(snapshot.MemoryVolumeId);

        for (var run = 1; run <= 2; run++)
        {
            Assert.Equal([VmStatus.RestoringState, VmStatus.Up], await steps.RunAsync());

            await steps.ExpectTimelineEndsWithAsync(VmStatus.Down, VmStatus.RestoringState, VmStatus.Up);
            // Running stateless: the Stateless snapshot taken at run holds the memory reference.
            var running = await Db.SnapshotsAsync(vm);
            Assert.Equal(snapshot.MemoryVolumeId, running.Single(s => s.Type == SnapshotType.Stateless).MemoryVolumeId);

            await steps.StopAsync();

            // Stopping brings the Stateless snapshot back as the Current state, memory included.
            await Expect(SnapshotsTab.Memory(steps.Snapshots.CurrentRow)).ToHaveAccessibleNameAsync("Has memory");
            await Expect(steps.Details.NextRunRestores).ToBeVisibleAsync();
            var stopped = await Db.SnapshotsAsync(vm);
            Assert.DoesNotContain(stopped, s => s.Type == SnapshotType.Stateless);
            Assert.Equal(snapshot.MemoryVolumeId, stopped.Single(s => s.Type == SnapshotType.Active).MemoryVolumeId);
            Assert.NotNull(stopped.Single(s => s.Id == snapshot.Id).MemoryVolume);
        }
    }
}
