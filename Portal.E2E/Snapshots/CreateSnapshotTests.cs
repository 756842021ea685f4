using Microsoft.EntityFrameworkCore;
using Portal.Core.Snapshots;
using Portal.Core.Vms;
using Portal.E2E.Infrastructure;
using Portal.E2E.Pages;

namespace Portal.E2E.Snapshots;

/// <summary>Seed plan, Create 1–3: Save Memory on a running VM, without it, and in a cluster below 3.3. Each case has its own VM.</summary>
public sealed class CreateSnapshotTests(PortalFixture portal) : PortalTest(portal), IClassFixture<PortalFixture>
{
    [Fact]
    public async Task Create_WithMemoryOnRunningVm_MemoryShownForTheSnapshot()
    {
        const string vm = DemoVms.WebFrontend;
        await SignInAsync();
        await OpenVmDetailsAsync(vm);
        var steps = new VmSteps(Page, Db, vm);
        var dialog = new CreateSnapshotDialog(Page);
        await steps.Details.ExpectStatusAsync("Up");
        var transitions = await Db.TransitionMarkAsync();
        var volumes = await MemoryVolumeCountAsync();
        var audit = await Db.AuditMarkAsync();

        await steps.Snapshots.CreateButton.ClickAsync();
        await Expect(dialog.SaveMemory).ToBeCheckedAsync();
        // RAM 1024 MiB + 200 MiB + video RAM 16 MiB, and the VM pauses while it is saved.
        await Expect(dialog.PauseWarning).ToContainTextAsync("The VM will be paused while its memory is saved");
        await Expect(dialog.PauseWarning).ToContainTextAsync("1240 MiB");
        await dialog.Description.FillAsync("Before the upgrade");
        await dialog.Create.ClickAsync();

        var row = steps.Snapshots.Row("Before the upgrade");
        await Expect(SnapshotsTab.Status(row)).ToHaveAttributeAsync("data-status", "Ok");
        await Expect(SnapshotsTab.Memory(row)).ToHaveAccessibleNameAsync("Has memory");
        await Expect(SnapshotsTab.Memory(row)).ToHaveAttributeAsync("data-has-memory", "true");
        await Expect(SnapshotsTab.Type(row)).ToHaveTextAsync("Regular");
        await Expect(SnapshotsTab.Memory(steps.Snapshots.CurrentRow)).ToHaveAccessibleNameAsync("No memory");
        await steps.Details.ExpectStatusAsync("Up");

        var done = await steps.WaitForAsync(audit, "Create snapshot", e => e.Message.Contains("has been completed"));
        Assert.Contains("with memory (1240 MiB on data-file)", done.Message);
        var snapshot = (await Db.SnapshotsAsync(vm)).Single(s => s.Description == "Before the upgrade");
        Assert.Equal((SnapshotType.Regular, SnapshotStatus.Ok), (snapshot.Type, snapshot.Status));
        Assert.NotNull(snapshot.MemoryVolume);
        Assert.Equal(1240L << 20, snapshot.MemoryVolume.SizeBytes);
        Assert.Equal(volumes + 1, await MemoryVolumeCountAsync());
        Assert.Null((await Db.SnapshotsAsync(vm)).Single(s => s.Type == SnapshotType.Active).MemoryVolumeId);
        // Saving the memory paused the VM (Saving state), and it went on running.
        Assert.Equal([VmStatus.SavingState, VmStatus.Up], await Db.StatusSequenceAsync(vm, transitions));
    }

    [Fact]
    public async Task Create_WithoutMemory_MemoryNotShownForTheSnapshot()
    {
        const string vm = DemoVms.DbPrimary;
        await SignInAsync();
        await OpenVmDetailsAsync(vm);
        var steps = new VmSteps(Page, Db, vm);
        var dialog = new CreateSnapshotDialog(Page);
        await steps.Details.ExpectStatusAsync("Up");
        var transitions = await Db.TransitionMarkAsync();
        var volumes = await MemoryVolumeCountAsync();
        var audit = await Db.AuditMarkAsync();

        await steps.Snapshots.CreateButton.ClickAsync();
        await Expect(dialog.SaveMemory).ToBeCheckedAsync();
        await Checkbox.SetAsync(dialog.SaveMemory, false);
        await Expect(dialog.PauseWarning).ToBeHiddenAsync();
        await dialog.Description.FillAsync("Disks only");
        await dialog.Create.ClickAsync();

        var row = steps.Snapshots.Row("Disks only");
        await Expect(SnapshotsTab.Status(row)).ToHaveAttributeAsync("data-status", "Ok");
        await Expect(SnapshotsTab.Memory(row)).ToHaveAccessibleNameAsync("No memory");
        await Expect(SnapshotsTab.Memory(row)).ToHaveAttributeAsync("data-has-memory", "false");

        await steps.WaitForAsync(audit, "Create snapshot", e => e.Message.Contains("has been completed"));
        var snapshot = (await Db.SnapshotsAsync(vm)).Single(s => s.Description == "Disks only");
        Assert.Equal((SnapshotType.Regular, SnapshotStatus.Ok, null), (snapshot.Type, snapshot.Status, snapshot.MemoryVolumeId));
        Assert.Equal(volumes, await MemoryVolumeCountAsync());
        // No memory to save, so the VM was never paused.
        Assert.DoesNotContain(VmStatus.SavingState, await Db.StatusSequenceAsync(vm, transitions));
        Assert.Equal(VmStatus.Up, (await Db.VmAsync(vm)).Status);
    }

    [Fact]
    public async Task Create_ClusterBelow33_NoSaveMemoryOptionAndTheReasonShown()
    {
        const string vm = DemoVms.LegacyErp;
        await SignInAsync();
        await OpenVmDetailsAsync(vm);
        var steps = new VmSteps(Page, Db, vm);
        var dialog = new CreateSnapshotDialog(Page);
        await steps.Details.ExpectStatusAsync("Up");
        var volumes = await MemoryVolumeCountAsync();
        var audit = await Db.AuditMarkAsync();

        await steps.Snapshots.CreateButton.ClickAsync();
        await Expect(dialog.Description).ToBeVisibleAsync();
        await Expect(dialog.SaveMemory).ToHaveCountAsync(0);
        await Expect(dialog.PauseWarning).ToHaveCountAsync(0);
        await Expect(dialog.NoMemoryReason).ToContainTextAsync("cluster Legacy is at compatibility 3.2, and memory snapshots need 3.3 or later");
        await dialog.Description.FillAsync("Legacy checkpoint");
        await dialog.Create.ClickAsync();

        var row = steps.Snapshots.Row("Legacy checkpoint");
        await Expect(SnapshotsTab.Status(row)).ToHaveAttributeAsync("data-status", "Ok");
        await Expect(SnapshotsTab.Memory(row)).ToHaveAccessibleNameAsync("No memory");

        await steps.WaitForAsync(audit, "Create snapshot", e => e.Message.Contains("has been completed"));
        var legacy = await Db.VmAsync(vm);
        Assert.Equal(("Legacy", "3.2"), (legacy.Cluster!.Name, legacy.Cluster.CompatibilityVersion));
        Assert.Null(legacy.Snapshots.Single(s => s.Description == "Legacy checkpoint").MemoryVolumeId);
        Assert.Equal(volumes, await MemoryVolumeCountAsync());
    }

    private async Task<int> MemoryVolumeCountAsync()
    {
        await using var db = Db.Open();
        return await db.MemoryVolumes.CountAsync();
    }
}
