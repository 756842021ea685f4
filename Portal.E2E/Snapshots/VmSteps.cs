using Portal.Core.Audit;
using Portal.Core.Snapshots;
using Portal.Core.Vms;
using Portal.E2E.Infrastructure;
using Portal.E2E.Pages;

namespace Portal.E2E.Snapshots;

/// <summary>
/// What an operator does to one VM on its details page, a step per user action: each acts through the page, waits
/// until the page shows the outcome, then until the command has ended (its audit entry, written just before the VM's
/// lock is freed). The steps set up the state a test is about; the test asserts on the page and in the database.
/// </summary>
public sealed class VmSteps(IPage page, PortalDatabase db, string vm)
{
    public VmDetailsPage Details { get; } = new(page);
    public SnapshotsTab Snapshots { get; } = new(page);

    /// <summary>
    /// Creates a snapshot through the dialog and waits until it is Ok. <paramref name="saveMemory"/> ticks or unticks
    /// Save Memory; null leaves the dialog as it is (for a VM it does not offer memory to).
    /// </summary>
    public async Task<Snapshot> CreateSnapshotAsync(string description, bool? saveMemory)
    {
        var audit = await db.AuditMarkAsync();
        await Snapshots.CreateButton.ClickAsync();
        var dialog = new CreateSnapshotDialog(page);
        await dialog.Description.FillAsync(description);
        if (saveMemory is { } save) await Checkbox.SetAsync(dialog.SaveMemory, save);
        await dialog.Create.ClickAsync();
        await Expect(dialog.Dialog).ToBeHiddenAsync();
        await Expect(SnapshotsTab.Status(Snapshots.Row(description))).ToHaveAttributeAsync("data-status", "Ok");
        await WaitForAsync(audit, "Create snapshot", e => e.Message.Contains("has been completed"));
        return (await db.SnapshotsAsync(vm)).Single(s => s.Description == description);
    }

    public async Task StopAsync()
    {
        var audit = await db.AuditMarkAsync();
        await Details.StopButton(vm).ClickAsync();
        await Details.ExpectStatusAsync("Down");
        await WaitForAsync(audit, "Stop VM");
    }

    /// <summary>Runs the VM and returns the statuses it went through, from the database, once it is Up and the run has ended.</summary>
    public async Task<IReadOnlyList<VmStatus>> RunAsync()
    {
        var transitions = await db.TransitionMarkAsync();
        var audit = await db.AuditMarkAsync();
        await Details.RunButton(vm).ClickAsync();
        await Details.ExpectStatusAsync("Up");
        await WaitForAsync(audit, "Run VM");
        return await db.StatusSequenceAsync(vm, transitions);
    }

    /// <summary>
    /// Previews a snapshot that holds memory: the Restore Memory popup must appear, and its checkbox is set to
    /// <paramref name="restoreMemory"/>. Waits until the snapshot is in preview.
    /// </summary>
    public async Task PreviewWithPopupAsync(string description, bool restoreMemory)
    {
        var audit = await db.AuditMarkAsync();
        await Snapshots.PreviewButton(description).ClickAsync();
        var dialog = new PreviewSnapshotDialog(page);
        await Checkbox.SetAsync(dialog.RestoreMemory, restoreMemory);
        await dialog.Preview.ClickAsync();
        await Expect(dialog.Dialog).ToBeHiddenAsync();
        await Expect(SnapshotsTab.Status(Snapshots.Row(description))).ToHaveAttributeAsync("data-status", "InPreview");
        await WaitForAsync(audit, "Preview snapshot");
    }

    public async Task CommitAsync()
    {
        var audit = await db.AuditMarkAsync();
        var confirm = new ConfirmDialog(page, "Commit snapshot");
        await DialogOpener.OpenAsync(Snapshots.CommitButton, confirm.Dialog);
        await confirm.ConfirmAsync();
        await Expect(Details.InPreview).ToBeHiddenAsync();
        await WaitForAsync(audit, "Commit snapshot");
    }

    /// <summary>
    /// Gives a running VM an Active snapshot that holds memory, the way an operator does: a snapshot with memory, stop,
    /// preview it with Restore Memory, commit. The VM ends Down; returns the snapshot (whose memory the Active shares).
    /// </summary>
    public async Task<Snapshot> GiveActiveMemoryAsync(string description)
    {
        var snapshot = await CreateSnapshotAsync(description, saveMemory: true);
        await StopAsync();
        await PreviewWithPopupAsync(description, restoreMemory: true);
        await CommitAsync();
        await Expect(SnapshotsTab.Memory(Snapshots.CurrentRow)).ToHaveAccessibleNameAsync("Has memory");
        return snapshot;
    }

    /// <summary>Exports the VM (Down) to the export domain, collapsed or not, and waits until the export has ended.</summary>
    public async Task ExportAsync(bool collapse)
    {
        var audit = await db.AuditMarkAsync();
        var dialog = new ExportVmDialog(page);
        await DialogOpener.OpenAsync(Details.ExportButton, dialog.Dialog);
        await Expect(dialog.Export).ToBeEnabledAsync();
        await Checkbox.SetAsync(dialog.Collapse, collapse);
        await dialog.Export.ClickAsync();
        await Expect(dialog.Dialog).ToBeHiddenAsync();
        await WaitForAsync(audit, "Export VM");
    }

    /// <summary>Removes the VM (Down) and waits for the VMs page the portal goes back to.</summary>
    public async Task RemoveAsync()
    {
        var audit = await db.AuditMarkAsync();
        var confirm = new ConfirmDialog(page, "Remove VM");
        await DialogOpener.OpenAsync(Details.RemoveButton, confirm.Dialog);
        await confirm.ConfirmAsync();
        await Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("/vms$"));
        await WaitForAsync(audit, "Remove VM");
    }

    /// <summary>
    /// Opens the Status timeline tab and expects its newest rows to be the transitions <paramref name="path"/>[0] →
    /// [1] → … (e.g. Down, RestoringState, Up), nothing in between; then goes back to the Snapshots tab.
    /// </summary>
    public async Task ExpectTimelineEndsWithAsync(params VmStatus[] path)
    {
        await Details.Tab("Status timeline").ClickAsync();
        var steps = path.Length - 1;
        for (var i = 0; i < steps; i++)
        {
            // Newest first: the last transition of the path is row 0.
            var row = Details.TimelineRows.Nth(steps - 1 - i);
            await Expect(row).ToHaveAttributeAsync("data-from", path[i].ToString());
            await Expect(row).ToHaveAttributeAsync("data-to", path[i + 1].ToString());
        }
        await Details.Tab("Snapshots").ClickAsync();
        await Expect(Snapshots.Grid).ToBeVisibleAsync();
    }

    /// <summary>
    /// The audit entry of <paramref name="operation"/> on this VM after <paramref name="mark"/> (the command has ended),
    /// asserting its outcome: <paramref name="outcome"/>, Success unless told.
    /// </summary>
    public async Task<AuditEntry> WaitForAsync(long mark, string operation, Func<AuditEntry, bool>? which = null, AuditOutcome outcome = AuditOutcome.Success)
    {
        var entries = await Poll.UntilAsync(() => db.AuditAsync(mark, vm),
            a => a.Any(e => e.Operation == operation && (which?.Invoke(e) ?? true)), $"the audit entry of '{operation}' on {vm}");
        var entry = entries.Last(e => e.Operation == operation && (which?.Invoke(e) ?? true));
        Assert.True(entry.Outcome == outcome, $"{operation} on {vm}: {entry.Outcome}: {entry.Message}");
        return entry;
    }
}
