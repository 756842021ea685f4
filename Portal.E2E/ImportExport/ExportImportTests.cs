using Microsoft.EntityFrameworkCore;
using Portal.Core.Audit;
using Portal.Core.ImportExport;
using Portal.Core.Snapshots;
using Portal.Core.Vms;
using Portal.E2E.Infrastructure;
using Portal.E2E.Pages;
using Portal.E2E.Snapshots;

namespace Portal.E2E.ImportExport;

/// <summary>Seed plan, Export/Import 1–2: a VM whose Current state holds memory, exported, then imported as itself or as a clone.</summary>
public sealed class ExportImportTests(PortalFixture portal) : PortalTest(portal), IClassFixture<PortalFixture>
{
    [Fact]
    public async Task ExportRemoveImport_ActiveWithMemory_SnapshotsComeBackWithMemoryAndTheRunRestores()
    {
        const string vm = DemoVms.WebFrontend;
        await SignInAsync();
        var id = await OpenVmDetailsAsync(vm);
        var steps = new VmSteps(Page, Db, vm);
        var snapshot = await steps.GiveActiveMemoryAsync("Before the move");
        var dump = snapshot.MemoryVolume!.DumpVolumeId;
        await steps.ExportAsync(collapse: false);
        await steps.RemoveAsync();
        Assert.False(await VmExistsAsync(vm));
        Assert.False(await DumpExistsAsync(dump));
        var import = new ImportSteps(Page);
        await import.OpenStorageAsync(vm);
        await import.ExpectExportedAsync(vm, snapshots: 2, withMemory: 2);
        var audit = await Db.AuditMarkAsync();

        await import.Storage.ImportButton(vm).ClickAsync();
        await Expect(import.Dialog.Dialog).ToContainTextAsync("2 snapshot(s), 2 with memory");
        Assert.Equal(id, await import.ImportAsync());

        await new PortalShell(Page).WaitInteractiveAsync();
        await Expect(steps.Snapshots.Rows).ToHaveCountAsync(2);
        await Expect(SnapshotsTab.Memory(steps.Snapshots.Row("Before the move"))).ToHaveAccessibleNameAsync("Has memory");
        await Expect(SnapshotsTab.Memory(steps.Snapshots.CurrentRow)).ToHaveAccessibleNameAsync("Has memory");
        await Expect(steps.Details.NextRunRestores).ToBeVisibleAsync();
        await steps.WaitForAsync(audit, "Import VM");
        var imported = await Db.VmAsync(vm);
        Assert.Equal(id, imported.Id);
        Assert.Equal([SnapshotType.Regular, SnapshotType.Active], imported.Snapshots.OrderBy(s => s.CreatedAt).Select(s => s.Type));
        Assert.All(imported.Snapshots, s => Assert.Equal(dump, s.MemoryVolume?.DumpVolumeId));
        Assert.True(await DumpExistsAsync(dump));

        Assert.Equal([VmStatus.RestoringState, VmStatus.Up], await steps.RunAsync());
        await steps.ExpectTimelineEndsWithAsync(VmStatus.Down, VmStatus.RestoringState, VmStatus.Up);
    }

    [Fact]
    public async Task Import_AsClone_OnlyCurrentWithoutMemoryAndTheRunBootsFresh()
    {
        const string vm = DemoVms.DbPrimary;
        const string clone = "db-primary-copy";
        await SignInAsync();
        var id = await OpenVmDetailsAsync(vm);
        var steps = new VmSteps(Page, Db, vm);
        await steps.GiveActiveMemoryAsync("Before cloning");
        await steps.ExportAsync(collapse: false);
        var import = new ImportSteps(Page);
        await import.OpenStorageAsync(vm);
        var audit = await Db.AuditMarkAsync();

        await import.Storage.ImportButton(vm).ClickAsync();
        await Expect(import.Dialog.CloneMemoryWarning).ToHaveCountAsync(0);
        await Checkbox.SetAsync(import.Dialog.AsClone, true);
        await Expect(import.Dialog.CloneMemoryWarning).ToHaveTextAsync(ImportVmCommand.CloneMemoryWarning);
        await Expect(import.Dialog.Collapse).ToBeDisabledAsync();
        await import.Dialog.Name.FillAsync(clone);
        var cloneId = await import.ImportAsync();

        var cloneSteps = new VmSteps(Page, Db, clone);
        await Expect(cloneSteps.Details.Name).ToHaveTextAsync(clone);
        await Expect(cloneSteps.Snapshots.Rows).ToHaveCountAsync(1);
        await Expect(SnapshotsTab.Memory(cloneSteps.Snapshots.CurrentRow)).ToHaveAccessibleNameAsync("No memory");
        await Expect(cloneSteps.Details.NextRunRestores).ToHaveCountAsync(0);
        var entry = await cloneSteps.WaitForAsync(audit, "Import VM", outcome: AuditOutcome.Warning);
        Assert.Contains(ImportVmCommand.CloneMemoryWarning, entry.Message);
        var imported = await Db.VmAsync(clone);
        Assert.Equal(cloneId, imported.Id);
        Assert.NotEqual(id, imported.Id);
        var only = Assert.Single(imported.Snapshots);
        Assert.Equal((SnapshotType.Active, null), (only.Type, only.MemoryVolumeId));
        // The original keeps its own memory.
        Assert.NotNull((await Db.VmAsync(vm)).Snapshots.Single(s => s.Type == SnapshotType.Active).MemoryVolumeId);

        Assert.Equal([VmStatus.PoweringUp, VmStatus.Up], await cloneSteps.RunAsync());
        await cloneSteps.ExpectTimelineEndsWithAsync(VmStatus.Down, VmStatus.PoweringUp, VmStatus.Up);
    }

    private async Task<bool> VmExistsAsync(string name)
    {
        await using var db = Db.Open();
        return await db.Vms.AnyAsync(v => v.Name == name);
    }

    private async Task<bool> DumpExistsAsync(Guid dumpVolumeId)
    {
        await using var db = Db.Open();
        return await db.MemoryVolumes.AnyAsync(m => m.DumpVolumeId == dumpVolumeId);
    }
}
