using System.Text.RegularExpressions;
using Portal.Core.Snapshots;
using Portal.Core.Vms;
using Portal.E2E.Infrastructure;
using Portal.E2E.Pages;

namespace Portal.E2E.Snapshots;

/// <summary>Seed plan, Commit 1–2: committing a preview with and without its memory. Each case has its own VM.</summary>
public sealed class CommitSnapshotTests(PortalFixture portal) : PortalTest(portal), IClassFixture<PortalFixture>
{
    [Fact]
    public async Task Commit_PreviewWithMemory_CurrentHasMemoryAndTheRunRestoresIt()
    {
        const string vm = DemoVms.WebFrontend;
        await SignInAsync();
        await OpenVmDetailsAsync(vm);
        var steps = new VmSteps(Page, Db, vm);
        var snapshot = await steps.CreateSnapshotAsync("Known good", saveMemory: true);
        await steps.StopAsync();
        await steps.PreviewWithPopupAsync("Known good", restoreMemory: true);
        var audit = await Db.AuditMarkAsync();

        await steps.Snapshots.CommitButton.ClickAsync();
        var confirm = new ConfirmDialog(Page, "Commit snapshot");
        await Expect(confirm.Message).ToContainTextAsync("Commit 'Known good'?");
        await confirm.ConfirmAsync();

        await Expect(steps.Details.InPreview).ToBeHiddenAsync();
        await Expect(steps.Snapshots.CommitButton).ToHaveCountAsync(0);
        await Expect(steps.Snapshots.Row(Snapshot.PreviewDescription)).ToHaveCountAsync(0);
        await Expect(SnapshotsTab.Status(steps.Snapshots.Row("Known good"))).ToHaveAttributeAsync("data-status", "Ok");
        await Expect(SnapshotsTab.Memory(steps.Snapshots.CurrentRow)).ToHaveAccessibleNameAsync("Has memory");
        await Expect(steps.Snapshots.Rows).ToHaveCountAsync(2);
        await steps.Snapshots.TreeView.ClickAsync();
        // "You are here", with memory to restore, under the committed snapshot.
        await Expect(steps.Snapshots.Tree.GetByRole(AriaRole.Treeitem, new() { NameRegex = new Regex("^Known good ") })
            .GetByRole(AriaRole.Treeitem, new() { Name = "You are here · memory will be restored", Exact = true })).ToBeVisibleAsync();
        await steps.Snapshots.GridView.ClickAsync();
        await steps.WaitForAsync(audit, "Commit snapshot");
        var snapshots = await Db.SnapshotsAsync(vm);
        Assert.Equal([SnapshotType.Regular, SnapshotType.Active], snapshots.Select(s => s.Type));
        Assert.All(snapshots, s => Assert.Equal(SnapshotStatus.Ok, s.Status));
        Assert.NotNull(snapshot.MemoryVolumeId);
        Assert.All(snapshots, s => Assert.Equal(snapshot.MemoryVolumeId, s.MemoryVolumeId));

        Assert.Equal([VmStatus.RestoringState, VmStatus.Up], await steps.RunAsync());
        await steps.ExpectTimelineEndsWithAsync(VmStatus.Down, VmStatus.RestoringState, VmStatus.Up);
    }

    [Fact]
    public async Task Commit_PreviewWithoutMemory_CurrentHasNone()
    {
        const string vm = DemoVms.DbPrimary;
        await SignInAsync();
        await OpenVmDetailsAsync(vm);
        var steps = new VmSteps(Page, Db, vm);
        var snapshot = await steps.CreateSnapshotAsync("Known good", saveMemory: true);
        await steps.StopAsync();
        await steps.PreviewWithPopupAsync("Known good", restoreMemory: false);
        var audit = await Db.AuditMarkAsync();

        await steps.Snapshots.CommitButton.ClickAsync();
        await new ConfirmDialog(Page, "Commit snapshot").ConfirmAsync();

        await Expect(steps.Details.InPreview).ToBeHiddenAsync();
        await Expect(steps.Snapshots.Row(Snapshot.PreviewDescription)).ToHaveCountAsync(0);
        await Expect(SnapshotsTab.Memory(steps.Snapshots.CurrentRow)).ToHaveAccessibleNameAsync("No memory");
        await Expect(SnapshotsTab.Memory(steps.Snapshots.Row("Known good"))).ToHaveAccessibleNameAsync("Has memory");
        await Expect(steps.Details.NextRunRestores).ToHaveCountAsync(0);
        await steps.WaitForAsync(audit, "Commit snapshot");
        var snapshots = await Db.SnapshotsAsync(vm);
        Assert.Equal([SnapshotType.Regular, SnapshotType.Active], snapshots.Select(s => s.Type));
        Assert.Null(snapshots.Single(s => s.Type == SnapshotType.Active).MemoryVolumeId);
        Assert.Equal(snapshot.MemoryVolumeId, snapshots.Single(s => s.Id == snapshot.Id).MemoryVolumeId);

        Assert.Equal([VmStatus.PoweringUp, VmStatus.Up], await steps.RunAsync());
    }
}
