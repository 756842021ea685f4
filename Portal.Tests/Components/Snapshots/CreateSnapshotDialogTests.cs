using Bunit;
using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;
using Portal.Components.Pages.Snapshots;
using Portal.Core;
using Portal.Core.Auth;
using Portal.Core.Vms;
using Portal.Tests.Components.Support;

namespace Portal.Tests.Components.Snapshots;

public sealed class CreateSnapshotDialogTests : PortalComponentTest
{
    private const string SaveMemory = "[data-testid=create-snapshot-save-memory]";
    private const string PauseWarning = "[data-testid=create-snapshot-pause-warning]";
    private const string NoMemoryReason = "[data-testid=create-snapshot-no-memory-reason]";

    [Theory]
    [InlineData(VmStatus.Up)]
    [InlineData(VmStatus.Paused)]
    public async Task SaveMemory_RunningVmInModernCluster_OfferedAndChecked(VmStatus status)
    {
        var vm = await VmAsync("web-frontend") with { Status = status };

        var providers = await OpenAsync(vm);

        Assert.True(providers.Find(SaveMemory).HasAttribute("checked"));
        Assert.Empty(providers.FindAll(NoMemoryReason));
    }

    [Fact]
    public async Task SaveMemory_DownVm_HiddenWithTheReason()
    {
        var providers = await OpenAsync(await VmAsync("build-agent"));

        Assert.Empty(providers.FindAll(SaveMemory));
        Assert.Empty(providers.FindAll(PauseWarning));
        Assert.Contains("not running", providers.Find(NoMemoryReason).TextContent);
    }

    [Fact]
    public async Task SaveMemory_RunningVmInA32Cluster_HiddenWithTheClusterVersion()
    {
        var vm = await VmAsync("legacy-erp");
        Assert.Equal(VmStatus.Up, vm.Status);

        var providers = await OpenAsync(vm);

        Assert.Empty(providers.FindAll(SaveMemory));
        var reason = providers.Find(NoMemoryReason).TextContent;
        Assert.Contains("compatibility 3.2", reason);
        Assert.Contains("3.3 or later", reason);
    }

    [Fact]
    public async Task PauseWarning_SaveMemoryChecked_ShowsTheEstimatedSize()
    {
        // 1024 MiB of RAM + 200 MiB + 16 MiB of video RAM.
        var providers = await OpenAsync(await VmAsync("web-frontend"));

        var warning = providers.Find(PauseWarning).TextContent;
        Assert.Contains("paused", warning);
        Assert.Contains("1240 MiB", warning);
    }

    [Fact]
    public async Task PauseWarning_SaveMemoryUnchecked_Disappears()
    {
        var providers = await OpenAsync(await VmAsync("web-frontend"));

        await ChangeAsync(providers, SaveMemory, false);

        providers.WaitForAssertion(() => Assert.Empty(providers.FindAll(PauseWarning)));
        Assert.False(providers.Find(SaveMemory).HasAttribute("checked"));
    }

    [Fact]
    public async Task Create_EmptyDescription_ShowsTheRefusalInTheDialog()
    {
        var vm = await VmAsync("web-frontend");
        var providers = await OpenAsync(vm);

        await ClickAsync(providers, "[data-testid=create-snapshot-ok]");

        var error = providers.WaitForElement("[data-testid=create-snapshot-error]");
        Assert.Equal("Enter a description for the snapshot.", error.TextContent.Trim());
        Assert.NotEmpty(providers.FindAll("[data-testid=create-snapshot-dialog]"));
        Assert.Single(await Get<PortalQueries>().SnapshotsAsync(vm.Id, Ct));
    }

    [Fact]
    public async Task DomainPicker_OneDataDomain_NotShown()
    {
        var providers = await OpenAsync(await VmAsync("web-frontend"));

        // The free space is read before the dialog opens: its first render shows it.
        Assert.Contains("on data-file with", providers.Find(PauseWarning).TextContent);
        Assert.Empty(providers.FindAll("[data-testid=create-snapshot-domain]"));
    }

    [Fact]
    public async Task DomainPicker_TwoDataDomains_OffersBothWithTheirFreeSpaceAndPicksTheFirstWithRoom()
    {
        // A second data domain over another pool of the demo node.
        await using (var db = await Get<Microsoft.EntityFrameworkCore.IDbContextFactory<Portal.Core.Persistence.PortalDbContext>>().CreateDbContextAsync(Ct))
        {
            db.StorageDomains.Add(new Portal.Core.Storage.StorageDomain { Name = "data-spare", PoolName = Portal.Core.Hosts.DemoNode.ExportPool, Role = Portal.Core.Storage.StorageRole.Data });
            await db.SaveChangesAsync(Ct);
        }

        var providers = await OpenAsync(await VmAsync("web-frontend"));

        var picker = providers.Find("[data-testid=create-snapshot-domain]");
        Assert.Contains("on data-file with", providers.Find(PauseWarning).TextContent);
        Assert.StartsWith("data-file · File", picker.GetAttribute("value"));
        await picker.Closest(".mud-input-control")!.MouseDownAsync(new());
        var items = providers.WaitForElements("[data-testid^=create-snapshot-domain-]");
        Assert.Equal(["data-file", "data-spare"], items.Select(i => i.GetAttribute("data-testid")!["create-snapshot-domain-".Length..]));
        Assert.Contains("MiB free", items[1].TextContent);

        await items[1].ClickAsync(new());

        providers.WaitForAssertion(() => Assert.Contains("on data-spare with", providers.Find(PauseWarning).TextContent));
    }

    [Fact]
    public async Task MemoryDomain_TwoDataDomains_TheChosenOneGetsTheMemory()
    {
        await Get<Portal.Core.Storage.AddStorageDomainCommand>().ExecuteAsync(new Portal.Core.Storage.AddStorageDomainRequest(
            "san-block", Portal.Core.Storage.StorageRole.Data, Portal.Core.Storage.StorageSource.PartitionedDevice, Path: "/dev/sdz"), Actor.Admin("admin"), Ct);
        var vm = await VmAsync("web-frontend");
        var providers = await OpenAsync(vm);
        // The first data domain by name with room is the default, as the command would choose.
        Assert.Contains("data-file · File", providers.WaitForElement("[data-testid=create-snapshot-domain]").GetAttribute("value"));

        providers.Find("[data-testid=create-snapshot-dialog] .mud-select .mud-input-control").MouseDown();
        var option = providers.WaitForElements(".mud-popover-open .mud-list-item").Single(e => e.TextContent.Contains("san-block · Block"));
        await option.ClickAsync(new());
        providers.WaitForAssertion(() => Assert.Contains("san-block · Block", providers.Find("[data-testid=create-snapshot-domain]").GetAttribute("value")));
        await InputAsync(providers, "[data-testid=create-snapshot-description]", "on block");
        await ClickAsync(providers, "[data-testid=create-snapshot-ok]");

        var snapshot = await Portal.Tests.Support.Wait.UntilAsync(async () => (await Get<PortalQueries>().SnapshotsAsync(vm.Id, Ct)).FirstOrDefault(x => x.Description == "on block" && x.HasMemory),
            x => x is not null, "the memory snapshot");
        Assert.Equal("san-block", snapshot!.MemoryDomain);
    }

    private async Task<IRenderedComponent<IComponent>> OpenAsync(VmRow vm)
    {
        var providers = RenderProviders();
        await providers.InvokeAsync(() => CreateSnapshotDialog.ShowAsync(Services.GetRequiredService<IDialogService>(), Get<PortalQueries>(), vm));
        providers.WaitForElement("[data-testid=create-snapshot-dialog]");
        return providers;
    }
}
