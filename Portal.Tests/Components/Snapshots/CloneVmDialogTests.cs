using Bunit;
using Microsoft.AspNetCore.Components;
using MudBlazor;
using Portal.Components.Pages.Snapshots;
using Portal.Core;
using Portal.Core.Vms;
using Portal.Tests.Components.Support;

namespace Portal.Tests.Components.Snapshots;

public sealed class CloneVmDialogTests : PortalComponentTest
{
    private const string MemoryWarning = "[data-testid=clone-memory-warning]";

    [Fact]
    public async Task MemoryWarning_SnapshotWithMemory_SaysTheCloneBootsFresh()
    {
        var vm = await VmAsync("web-frontend");
        var snapshot = await SnapshotAsync(vm.Id, "with memory", saveMemory: true);

        var providers = await OpenAsync(vm.Id, snapshot);

        Assert.Equal(CloneVmFromSnapshotCommand.MemoryDiscardedWarning, providers.Find(MemoryWarning).TextContent.Trim());
    }

    [Fact]
    public async Task MemoryWarning_SnapshotWithoutMemory_Absent()
    {
        var vm = await VmAsync("web-frontend");
        var snapshot = await SnapshotAsync(vm.Id, "disks only", saveMemory: false);

        var providers = await OpenAsync(vm.Id, snapshot);

        Assert.Empty(providers.FindAll(MemoryWarning));
    }

    private async Task<IRenderedComponent<IComponent>> OpenAsync(Guid vmId, Guid snapshotId)
    {
        var vm = await VmAsync(vmId);
        var snapshot = (await Get<PortalQueries>().SnapshotsAsync(vmId, Ct)).Single(s => s.Id == snapshotId);
        var providers = RenderProviders();
        await ShowDialogAsync(providers, new DialogParameters<CloneVmDialog> { { d => d.Vm, vm }, { d => d.Snapshot, snapshot } });
        providers.WaitForElement("[data-testid=clone-vm-dialog]");
        return providers;
    }
}
