using Portal.Core.Snapshots;
using Portal.Core.Vms;
using Portal.E2E.Infrastructure;
using Portal.E2E.Pages;
using Portal.E2E.Snapshots;

namespace Portal.E2E.ImportExport;

/// <summary>Seed plan, Export/Import 5–6: collapsing snapshots on export or on import leaves only the Current state, with its memory.</summary>
public sealed class CollapseSnapshotsTests(PortalFixture portal) : PortalTest(portal), IClassFixture<PortalFixture>
{
    [Fact]
    public async Task Export_WithCollapse_OnlyCurrentWithMemoryComesBack()
    {
        const string vm = DemoVms.WebFrontend;
        await SignInAsync();
        await OpenVmDetailsAsync(vm);
        var steps = new VmSteps(Page, Db, vm);
        var snapshot = await steps.GiveActiveMemoryAsync("Golden");

        await steps.ExportAsync(collapse: true);

        var import = new ImportSteps(Page);
        await import.OpenStorageAsync(vm);
        await import.ExpectExportedAsync(vm, snapshots: 1, withMemory: 1);
        await ExpectImportedCollapsedAsync(vm, snapshot, import, collapseOnImport: false);
    }

    [Fact]
    public async Task Import_WithCollapse_OnlyCurrentWithMemoryComesBack()
    {
        const string vm = DemoVms.DbPrimary;
        await SignInAsync();
        await OpenVmDetailsAsync(vm);
        var steps = new VmSteps(Page, Db, vm);
        var snapshot = await steps.GiveActiveMemoryAsync("Golden");

        await steps.ExportAsync(collapse: false);

        var import = new ImportSteps(Page);
        await import.OpenStorageAsync(vm);
        await import.ExpectExportedAsync(vm, snapshots: 2, withMemory: 2);
        await ExpectImportedCollapsedAsync(vm, snapshot, import, collapseOnImport: true);
    }

    /// <summary>Removes the VM, imports it back (collapsing or not), and expects only the Current state, with the snapshot's memory, restored on the run.</summary>
    private async Task ExpectImportedCollapsedAsync(string vm, Snapshot snapshot, ImportSteps import, bool collapseOnImport)
    {
        var steps = new VmSteps(Page, Db, vm);
        await OpenVmDetailsAsync(vm);
        await steps.RemoveAsync();
        await import.OpenStorageAsync(vm);
        var audit = await Db.AuditMarkAsync();

        await import.Storage.ImportButton(vm).ClickAsync();
        if (collapseOnImport) await Checkbox.SetAsync(import.Dialog.Collapse, true);
        await import.ImportAsync();

        await Expect(steps.Snapshots.Rows).ToHaveCountAsync(1);
        await Expect(SnapshotsTab.Memory(steps.Snapshots.CurrentRow)).ToHaveAccessibleNameAsync("Has memory");
        await Expect(steps.Snapshots.Row("Golden")).ToHaveCountAsync(0);
        var entry = await steps.WaitForAsync(audit, "Import VM");
        Assert.Contains("1 snapshot(s), 1 memory volume(s)", entry.Message);
        var only = Assert.Single((await Db.VmAsync(vm)).Snapshots);
        Assert.Equal(SnapshotType.Active, only.Type);
        Assert.Equal(snapshot.MemoryVolume!.DumpVolumeId, only.MemoryVolume?.DumpVolumeId);

        Assert.Equal([VmStatus.RestoringState, VmStatus.Up], await steps.RunAsync());
    }
}
