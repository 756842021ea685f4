using AngleSharp.Dom;
using Bunit;
using Portal.Components.Pages.Snapshots;
using Portal.Core;
using Portal.Core.Snapshots;
using Portal.Tests.Components.Support;

namespace Portal.Tests.Components.Snapshots;

public sealed class SnapshotTreeTests : PortalComponentTest
{
    [Fact]
    public async Task YouAreHere_TwoSnapshotsTaken_UnderTheNewest()
    {
        var vm = await VmAsync("build-agent");
        var first = await SnapshotAsync(vm.Id, "first", saveMemory: false);
        var second = await SnapshotAsync(vm.Id, "second", saveMemory: false);

        var cut = await RenderTreeAsync(vm.Id);

        Assert.Equal($"tree-{second}", ParentNodeOf(cut.Find("[data-testid=tree-you-are-here]"))?.GetAttribute("data-testid"));
        Assert.Equal($"tree-{first}", ParentNodeOf(cut.Find($"[data-testid=tree-{second}]"))?.GetAttribute("data-testid"));
    }

    [Fact]
    public async Task YouAreHere_OlderSnapshotPreviewed_MovesUnderIt()
    {
        var vm = await VmAsync("build-agent");
        var first = await SnapshotAsync(vm.Id, "first", saveMemory: false);
        await SnapshotAsync(vm.Id, "second", saveMemory: false);
        await AdminRunsAsync(Get<PreviewSnapshotCommand>(), new PreviewSnapshotRequest(vm.Id, first));

        var cut = await RenderTreeAsync(vm.Id);

        Assert.Equal($"tree-{first}", ParentNodeOf(cut.Find("[data-testid=tree-you-are-here]"))?.GetAttribute("data-testid"));
        Assert.Single(cut.FindAll("[data-testid=tree-you-are-here]"));
    }

    [Fact]
    public async Task Indent_AChainContinuesAtItsLevel_ABranchIndents()
    {
        var vm = await VmAsync("build-agent");
        var first = await SnapshotAsync(vm.Id, "first", saveMemory: false);
        var second = await SnapshotAsync(vm.Id, "second", saveMemory: false);

        var chain = await RenderTreeAsync(vm.Id);

        Assert.Equal(["continues", "continues"], GroupsUnder(chain, first, second));
        await AdminRunsAsync(Get<PreviewSnapshotCommand>(), new PreviewSnapshotRequest(vm.Id, first));
        var branched = await RenderTreeAsync(vm.Id);
        // first now has two children (second, and the current state previewing it): they indent, as a branch.
        Assert.Equal("", branched.Find($"[data-testid=tree-{first}] > ul").ClassName ?? "");
    }

    /// <summary>The classes of the groups holding the children of <paramref name="ids"/>.</summary>
    private static string[] GroupsUnder(IRenderedComponent<SnapshotTree> cut, params Guid[] ids) =>
        ids.Select(id => cut.Find($"[data-testid=tree-{id}] > ul").ClassName ?? "").ToArray();

    private async Task<IRenderedComponent<SnapshotTree>> RenderTreeAsync(Guid vmId)
    {
        var snapshots = await Get<PortalQueries>().SnapshotsAsync(vmId, Ct);
        return Render<SnapshotTree>(p => p.Add(t => t.Snapshots, snapshots));
    }

    /// <summary>The tree item one level up from the item holding the element.</summary>
    private static IElement? ParentNodeOf(IElement element)
    {
        var item = element.Closest("[role=treeitem]");
        return item?.ParentElement?.Closest("[role=treeitem]");
    }
}
