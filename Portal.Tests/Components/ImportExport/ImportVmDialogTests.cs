using Bunit;
using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;
using Portal.Components.Pages.ImportExport;
using Portal.Core;
using Portal.Core.ImportExport;
using Portal.Core.Snapshots;
using Portal.Core.Storage;
using Portal.Core.Vms;
using Portal.Tests.Components.Support;

namespace Portal.Tests.Components.ImportExport;

public sealed class ImportVmDialogTests : PortalComponentTest
{
    private const string AsClone = "[data-testid=import-as-clone]";
    private const string CloneMemoryWarning = "[data-testid=import-clone-memory-warning]";

    [Fact]
    public async Task CloneMemoryWarning_ActiveSnapshotHadMemory_ShownOnlyOnceImportAsCloneIsChecked()
    {
        var vm = await VmAsync("web-frontend");
        // The Active snapshot carries memory after a committed preview that restored it.
        var withMemory = await SnapshotAsync(vm.Id, "with memory", saveMemory: true);
        await AdminRunsAsync(Get<StopVmCommand>(), new StopVmRequest(vm.Id));
        await AdminRunsAsync(Get<PreviewSnapshotCommand>(), new PreviewSnapshotRequest(vm.Id, withMemory, RestoreMemory: true));
        await AdminRunsAsync(Get<CommitSnapshotCommand>(), new CommitSnapshotRequest(vm.Id));
        var (domain, exported) = await ExportAsync(vm.Id);
        Assert.NotNull(exported.Active?.Memory);

        var providers = await OpenAsync(domain, exported);
        Assert.Empty(providers.FindAll(CloneMemoryWarning));

        await ChangeAsync(providers, AsClone, true);

        var warning = providers.WaitForElement(CloneMemoryWarning);
        Assert.Equal(ImportVmCommand.CloneMemoryWarning, warning.TextContent.Trim());
    }

    [Fact]
    public async Task CloneMemoryWarning_ActiveSnapshotWithoutMemory_NotShownAsClone()
    {
        var vm = await VmAsync("build-agent");
        await SnapshotAsync(vm.Id, "disks only", saveMemory: false);
        var (domain, exported) = await ExportAsync(vm.Id);

        var providers = await OpenAsync(domain, exported);
        await ChangeAsync(providers, AsClone, true);

        providers.WaitForAssertion(() => Assert.True(providers.Find(AsClone).HasAttribute("checked")));
        Assert.Empty(providers.FindAll(CloneMemoryWarning));
    }

    [Fact]
    public async Task Import_AsTheDialogOpens_IsEnabled()
    {
        var vm = await VmAsync("build-agent");
        var (domain, exported) = await ExportAsync(vm.Id);

        var providers = await OpenAsync(domain, exported);

        // The render that shows the dialog has its domains: Import is not disabled while they are read (a click then was
        // dropped in silence).
        Assert.False(providers.Find("[data-testid=import-ok]").HasAttribute("disabled"));
    }

    /// <summary>Exports the VM as an admin and reads it back from the export domain, as the Storage page lists it.</summary>
    private async Task<(StorageDomainRow Domain, OvfVm Exported)> ExportAsync(Guid vmId)
    {
        var domain = (await Get<PortalQueries>().StorageDomainRowsAsync(Ct)).Single(d => d.Role == StorageRole.Export);
        await AdminRunsAsync(Get<ExportVmCommand>(), new ExportVmRequest(vmId, domain.Id));
        var stored = (await Get<PortalQueries>().StorageDomainsAsync(Ct)).Single(d => d.Id == domain.Id);
        return (domain, await Get<ExportDomainStore>().ReadAsync(stored, vmId, Ct));
    }

    private async Task<IRenderedComponent<IComponent>> OpenAsync(StorageDomainRow domain, OvfVm exported)
    {
        var providers = RenderProviders();
        await providers.InvokeAsync(() => ImportVmDialog.ShowAsync(Services.GetRequiredService<IDialogService>(), Get<PortalQueries>(), domain, exported));
        providers.WaitForElement("[data-testid=import-vm-dialog]");
        return providers;
    }
}
