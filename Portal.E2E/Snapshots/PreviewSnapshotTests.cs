using Portal.Core.Snapshots;
using Portal.Core.Vms;
using Portal.E2E.Infrastructure;
using Portal.E2E.Pages;

namespace Portal.E2E.Snapshots;

/// <summary>Seed plan, Preview 1–3: the Restore Memory popup, chosen or not, and absent below cluster 3.3. Each case has its own VM.</summary>
public sealed class PreviewSnapshotTests(PortalFixture portal) : PortalTest(portal), IClassFixture<PortalFixture>
{
    [Fact]
    public async Task Preview_RestoreMemory_RunRestoresTheSavedState()
    {
        const string vm = DemoVms.WebFrontend;
        await SignInAsync();
        await OpenVmDetailsAsync(vm);
        var steps = new VmSteps(Page, Db, vm);
        var snapshot = await steps.CreateSnapshotAsync("Session open", saveMemory: true);
        await steps.StopAsync();
        var dialog = new PreviewSnapshotDialog(Page);
        var previewAudit = await Db.AuditMarkAsync();

        await steps.Snapshots.PreviewButton("Session open").ClickAsync();
        await Expect(dialog.RestoreMemory).ToBeCheckedAsync();
        await dialog.Preview.ClickAsync();

        await Expect(dialog.Dialog).ToBeHiddenAsync();
        await Expect(steps.Details.InPreview).ToBeVisibleAsync();
        await Expect(SnapshotsTab.Status(steps.Snapshots.Row("Session open"))).ToHaveAttributeAsync("data-status", "InPreview");
        await Expect(SnapshotsTab.Type(steps.Snapshots.Row(Snapshot.PreviewDescription))).ToHaveAttributeAsync("data-type", "Preview");
        await Expect(SnapshotsTab.Memory(steps.Snapshots.CurrentRow)).ToHaveAccessibleNameAsync("Has memory");
        await Expect(steps.Details.NextRunRestores).ToBeVisibleAsync();
        await steps.WaitForAsync(previewAudit, "Preview snapshot", e => e.Message.EndsWith("with its memory."));
        var active = (await Db.SnapshotsAsync(vm)).Single(s => s.Type == SnapshotType.Active);
        Assert.Equal(snapshot.MemoryVolumeId, active.MemoryVolumeId);

        var audit = await Db.AuditMarkAsync();
        Assert.Equal([VmStatus.RestoringState, VmStatus.Up], await steps.RunAsync());

        await steps.ExpectTimelineEndsWithAsync(VmStatus.Down, VmStatus.RestoringState, VmStatus.Up);
        var run = await steps.WaitForAsync(audit, "Run VM");
        Assert.Equal($"VM {vm} was restored from memory and is Up.", run.Message);
        await steps.Details.Tab("Events").ClickAsync();
        await Expect(steps.Details.EventRows.First).ToContainTextAsync(run.Message);
    }

    [Fact]
    public async Task Preview_RestoreMemoryNotChosen_RunBootsFresh()
    {
        const string vm = DemoVms.DbPrimary;
        await SignInAsync();
        await OpenVmDetailsAsync(vm);
        var steps = new VmSteps(Page, Db, vm);
        var snapshot = await steps.CreateSnapshotAsync("Nightly", saveMemory: true);
        await steps.StopAsync();
        var dialog = new PreviewSnapshotDialog(Page);
        var previewAudit = await Db.AuditMarkAsync();

        await steps.Snapshots.PreviewButton("Nightly").ClickAsync();
        await Expect(dialog.RestoreMemory).ToBeCheckedAsync();
        await Checkbox.SetAsync(dialog.RestoreMemory, false);
        await dialog.Preview.ClickAsync();

        await Expect(dialog.Dialog).ToBeHiddenAsync();
        await Expect(SnapshotsTab.Status(steps.Snapshots.Row("Nightly"))).ToHaveAttributeAsync("data-status", "InPreview");
        await Expect(SnapshotsTab.Memory(steps.Snapshots.CurrentRow)).ToHaveAccessibleNameAsync("No memory");
        // The snapshot keeps its memory; only the previewed state goes without it.
        await Expect(SnapshotsTab.Memory(steps.Snapshots.Row("Nightly"))).ToHaveAccessibleNameAsync("Has memory");
        await Expect(steps.Details.NextRunRestores).ToBeHiddenAsync();
        await steps.WaitForAsync(previewAudit, "Preview snapshot", e => e.Message.EndsWith("without its memory."));
        var snapshots = await Db.SnapshotsAsync(vm);
        Assert.Null(snapshots.Single(s => s.Type == SnapshotType.Active).MemoryVolumeId);
        Assert.Equal(snapshot.MemoryVolumeId, snapshots.Single(s => s.Id == snapshot.Id).MemoryVolumeId);

        Assert.Equal([VmStatus.PoweringUp, VmStatus.Up], await steps.RunAsync());

        await steps.ExpectTimelineEndsWithAsync(VmStatus.Down, VmStatus.PoweringUp, VmStatus.Up);
    }

    [Fact]
    public async Task Preview_ClusterBelow33_NoRestoreMemoryPopup()
    {
        const string vm = DemoVms.LegacyErp;
        await SignInAsync();
        await OpenVmDetailsAsync(vm);
        var steps = new VmSteps(Page, Db, vm);
        var snapshot = await steps.CreateSnapshotAsync("Month end", saveMemory: null);
        await steps.StopAsync();
        var audit = await Db.AuditMarkAsync();

        await steps.Snapshots.PreviewButton("Month end").ClickAsync();

        // The preview completes on the click alone: a popup would have held it until answered.
        await Expect(SnapshotsTab.Status(steps.Snapshots.Row("Month end"))).ToHaveAttributeAsync("data-status", "InPreview");
        await Expect(new PreviewSnapshotDialog(Page).Dialog).ToHaveCountAsync(0);
        await Expect(SnapshotsTab.Memory(steps.Snapshots.CurrentRow)).ToHaveAccessibleNameAsync("No memory");
        await steps.WaitForAsync(audit, "Preview snapshot");
        var snapshots = await Db.SnapshotsAsync(vm);
        Assert.Equal(SnapshotStatus.InPreview, snapshots.Single(s => s.Id == snapshot.Id).Status);
        Assert.All(snapshots, s => Assert.Null(s.MemoryVolumeId));

        Assert.Equal([VmStatus.PoweringUp, VmStatus.Up], await steps.RunAsync());
    }
}
