using AngleSharp.Dom;
using Bunit;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Web;
using Portal.Components.Pages.Snapshots;
using Portal.Core;
using Portal.Core.Auth;
using Portal.Core.Snapshots;
using Portal.Core.Vms;
using Portal.Tests.Components.Support;

namespace Portal.Tests.Components.Snapshots;

public sealed class SnapshotsPanelTests : PortalComponentTest
{
    private const string PreviewDialog = "[data-testid=preview-snapshot-dialog]";

    [Fact]
    public async Task MemoryColumn_SnapshotsWithAndWithoutMemory_MarkEachRow()
    {
        var s = await StoppedVmWithSnapshotsAsync();

        var cut = await RenderPanelAsync(s.VmId);

        Assert.Equal("true", Memory(cut, s.WithMemory));
        Assert.Equal("false", Memory(cut, s.DisksOnly));
        Assert.Equal("false", Memory(cut, s.Active));
    }

    [Fact]
    public async Task TypeColumn_ActiveSnapshot_ShowsCurrent()
    {
        var s = await StoppedVmWithSnapshotsAsync();

        var cut = await RenderPanelAsync(s.VmId);

        Assert.Equal("Current", cut.Find($"[data-testid=snapshot-{s.Active}-type]").TextContent);
        Assert.Equal("Regular", cut.Find($"[data-testid=snapshot-{s.WithMemory}-type]").TextContent);
    }

    [Fact]
    public async Task Preview_SnapshotWithMemory_AsksToRestoreMemoryCheckedByDefault()
    {
        var s = await StoppedVmWithSnapshotsAsync();
        var providers = RenderProviders();
        var cut = await RenderPanelAsync(s.VmId);

        // The click's handler awaits the popup's answer, so the click completes only once the popup closes.
        var previewing = ClickAsync(cut, $"[data-testid=snapshot-{s.WithMemory}-preview]");

        providers.WaitForElement(PreviewDialog);
        Assert.True(providers.Find("[data-testid=preview-restore-memory]").HasAttribute("checked"));
        await ClickAsync(providers, "[data-testid=preview-cancel]");
        await previewing;
        Assert.False((await VmAsync(s.VmId)).InPreview);
    }

    [Fact]
    public async Task Preview_RestoreMemoryKept_PreviewsWithTheMemory()
    {
        var s = await StoppedVmWithSnapshotsAsync();
        var providers = RenderProviders();
        var cut = await RenderPanelAsync(s.VmId);
        var previewing = ClickAsync(cut, $"[data-testid=snapshot-{s.WithMemory}-preview]");

        providers.WaitForElement("[data-testid=preview-ok]");
        await ClickAsync(providers, "[data-testid=preview-ok]");
        await previewing;

        providers.WaitForAssertion(() => Assert.Contains("'with memory'", Snackbars(providers)));
        Assert.Contains("with its memory", Snackbars(providers));
        var vm = await VmAsync(s.VmId);
        Assert.True(vm.InPreview);
        Assert.True(vm.ActiveHasMemory);
    }

    [Fact]
    public async Task Preview_RestoreMemoryUnchecked_PreviewsWithoutTheMemory()
    {
        var s = await StoppedVmWithSnapshotsAsync();
        var providers = RenderProviders();
        var cut = await RenderPanelAsync(s.VmId);
        var previewing = ClickAsync(cut, $"[data-testid=snapshot-{s.WithMemory}-preview]");
        providers.WaitForElement("[data-testid=preview-restore-memory]");
        await ChangeAsync(providers, "[data-testid=preview-restore-memory]", false);

        await ClickAsync(providers, "[data-testid=preview-ok]");
        await previewing;

        providers.WaitForAssertion(() => Assert.Contains("without its memory", Snackbars(providers)));
        var vm = await VmAsync(s.VmId);
        Assert.True(vm.InPreview);
        Assert.False(vm.ActiveHasMemory);
    }

    [Fact]
    public async Task Preview_SnapshotWithoutMemory_RunsAtOnceWithoutThePopup()
    {
        var s = await StoppedVmWithSnapshotsAsync();
        var providers = RenderProviders();
        var cut = await RenderPanelAsync(s.VmId);

        // Not awaited: were the popup to open, the click would wait for its answer and the snackbar never come.
        var previewing = ClickAsync(cut, $"[data-testid=snapshot-{s.DisksOnly}-preview]");

        providers.WaitForAssertion(() => Assert.Contains("'disks only'", Snackbars(providers)));
        Assert.Empty(providers.FindAll(PreviewDialog));
        await previewing;
        Assert.True((await VmAsync(s.VmId)).InPreview);
    }

    [Fact]
    public async Task CommitAndUndo_VmNotInPreview_Hidden()
    {
        var s = await StoppedVmWithSnapshotsAsync();

        var cut = await RenderPanelAsync(s.VmId);

        Assert.Empty(cut.FindAll("[data-testid=snapshot-commit]"));
        Assert.Empty(cut.FindAll("[data-testid=snapshot-undo]"));
    }

    [Fact]
    public async Task CommitAndUndo_VmInPreview_ShownAndEnabledForAdmin()
    {
        var s = await StoppedVmWithSnapshotsAsync();
        await PreviewAsync(s.VmId, s.DisksOnly);

        var cut = await RenderPanelAsync(s.VmId);

        Assert.False(cut.Find("[data-testid=snapshot-commit]").HasAttribute("disabled"));
        Assert.False(cut.Find("[data-testid=snapshot-undo]").HasAttribute("disabled"));
    }

    [Fact]
    public async Task AdminActions_AdminUser_CloneAndRemoveEnabled()
    {
        var s = await StoppedVmWithSnapshotsAsync();

        var cut = await RenderPanelAsync(s.VmId);

        Assert.False(cut.Find($"[data-testid=snapshot-{s.DisksOnly}-clone]").HasAttribute("disabled"));
        Assert.False(cut.Find($"[data-testid=snapshot-{s.DisksOnly}-remove]").HasAttribute("disabled"));
    }

    [Fact]
    public async Task AdminActions_HelpdeskUser_CloneAndRemoveDisabledNeedingAdmin()
    {
        var s = await StoppedVmWithSnapshotsAsync();
        SignInAs(Roles.Helpdesk);
        var providers = RenderProviders();

        var cut = await RenderPanelAsync(s.VmId);
        // The panel reads the user's rights from the database once it is shown.
        cut.WaitForAssertion(() => Assert.True(cut.Find($"[data-testid=snapshot-{s.DisksOnly}-clone]").HasAttribute("disabled")));

        Assert.False(cut.Find($"[data-testid=snapshot-{s.DisksOnly}-preview]").HasAttribute("disabled"));
        // The command's own refusal, as the API would give it.
        foreach (var (action, operation) in new[] { ("clone", "Clone VM from snapshot"), ("remove", "Remove snapshot") })
        {
            var button = cut.Find($"[data-testid=snapshot-{s.DisksOnly}-{action}]");
            Assert.True(button.HasAttribute("disabled"), action);
            Assert.Equal($"{operation} needs the Admin role; helpdesk is Helpdesk.", button.GetAttribute("title"));
        }
    }

    [Fact]
    public async Task Commit_HelpdeskUserInPreview_DisabledNeedingAdminWhileUndoStaysEnabled()
    {
        var s = await StoppedVmWithSnapshotsAsync();
        await PreviewAsync(s.VmId, s.DisksOnly);
        SignInAs(Roles.Helpdesk);

        var cut = await RenderPanelAsync(s.VmId);
        // The panel reads the user's rights from the database once it is shown.
        cut.WaitForAssertion(() => Assert.True(cut.Find("[data-testid=snapshot-commit]").HasAttribute("disabled")));

        var commit = cut.Find("[data-testid=snapshot-commit]");
        Assert.Equal("Commit snapshot needs the Admin role; helpdesk is Helpdesk.", commit.GetAttribute("title"));
        Assert.False(cut.Find("[data-testid=snapshot-undo]").HasAttribute("disabled"));
    }

    private sealed record Scenario(Guid VmId, Guid Active, Guid WithMemory, Guid DisksOnly);

    /// <summary>web-frontend (4.7 cluster): a snapshot with memory taken while Up, then stopped, then one of its disks only.</summary>
    private async Task<Scenario> StoppedVmWithSnapshotsAsync()
    {
        var vm = await VmAsync("web-frontend");
        var withMemory = await SnapshotAsync(vm.Id, "with memory", saveMemory: true);
        await AdminRunsAsync(Get<StopVmCommand>(), new StopVmRequest(vm.Id));
        var disksOnly = await SnapshotAsync(vm.Id, "disks only", saveMemory: false);
        var active = (await Get<PortalQueries>().SnapshotsAsync(vm.Id, Ct)).Single(x => x.Type == SnapshotType.Active);
        return new(vm.Id, active.Id, withMemory, disksOnly);
    }

    private Task PreviewAsync(Guid vmId, Guid snapshotId) =>
        AdminRunsAsync(Get<PreviewSnapshotCommand>(), new PreviewSnapshotRequest(vmId, snapshotId));

    /// <summary>The panel as VmDetailsPage renders it: the VM and its snapshots as the queries return them now.</summary>
    private async Task<IRenderedComponent<SnapshotsPanel>> RenderPanelAsync(Guid vmId)
    {
        var vm = await VmAsync(vmId);
        var snapshots = await Get<PortalQueries>().SnapshotsAsync(vmId, Ct);
        var cut = Render<SnapshotsPanel>(p => p.Add(x => x.Vm, vm).Add(x => x.Snapshots, snapshots));
        // The panel reads the user's rights from the database once it is shown, and renders again: a click found
        // before that render would go to a handler that no longer exists.
        cut.WaitForState(() => cut.Instance.RightsKnown);
        return cut;
    }

    private static string? Memory(IRenderedComponent<SnapshotsPanel> cut, Guid snapshot) =>
        cut.Find($"[data-testid=snapshot-{snapshot}-memory]").GetAttribute("data-has-memory");

    private static string Snackbars(IRenderedComponent<IComponent> providers) =>
        string.Join("\n", providers.FindAll(".mud-snackbar").Select(e => e.TextContent));

    /// <summary>Hovers the tooltip around an element, as a mouse user would, and reads what it says.</summary>
    private static async Task<string> TooltipOfAsync(IRenderedComponent<IComponent> providers, IElement element)
    {
        await element.ParentElement!.TriggerEventAsync("onpointerenter", new PointerEventArgs());
        return providers.WaitForElement(".mud-tooltip.mud-popover-open").TextContent.Trim();
    }
}
