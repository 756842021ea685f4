using Portal.Components.Pages.Vms;
using Portal.Core;
using Portal.Core.Vms;

namespace Portal.Tests.Components.Vms;

public sealed class VmRowTextTests
{
    private static VmRow Row(Guid id, string name = "web01", VmStatus status = VmStatus.Up, int memoryMiB = 1024) =>
        new(id, name, "Default", "4.7", true, "host-1", memoryMiB, 16384, false, status, DateTime.UtcNow, false, false, false, null);

    [Fact]
    public void For_TwoPagesShowTheSameVm_ShareOneTextAndOneMarkup()
    {
        var id = Guid.NewGuid();
        // Each page reads its own row record from the database.
        var first = VmRowText.For(Row(id));
        var second = VmRowText.For(Row(id));

        Assert.Same(first, second);
        Assert.Same(first.FactCells(Row(id)).Value, second.FactCells(Row(id)).Value);
        Assert.Same(first.Status(VmStatus.Up).Value, second.Status(VmStatus.Up).Value);
        Assert.Same(first.NameCell(missing: false).Value, second.NameCell(missing: false).Value);
        Assert.Equal("Run web01", first.RunName);
        Assert.Equal("vm-web01-stop", first.StopId);
    }

    [Fact]
    public void StatusChip_StatusChanged_NewChipAndTheSameFactCells()
    {
        var id = Guid.NewGuid();
        var text = VmRowText.For(Row(id));
        var cells = text.FactCells(Row(id)).Value;
        var up = text.Status(VmStatus.Up).Value;

        var down = text.Status(VmStatus.Down).Value;

        Assert.Contains("data-status=\"Up\"", up);
        Assert.Contains("data-status=\"Down\"", down);
        Assert.Contains("data-testid=\"vm-web01-status\"", down);
        Assert.Contains(">Down<", down);
        // The other cells do not show the status, and are not made again for it.
        Assert.Same(cells, text.FactCells(Row(id, status: VmStatus.Down)).Value);
        Assert.DoesNotContain("data-status", cells);
    }

    [Fact]
    public void ClusterCell_VmsOfOneCluster_OneMarkupForAll()
    {
        var cell = VmRowText.ClusterCell(Row(Guid.NewGuid(), name: "web01"));

        Assert.Same(cell.Value, VmRowText.ClusterCell(Row(Guid.NewGuid(), name: "db01")).Value);
        Assert.StartsWith("<td class=\"mud-table-cell\">Default<div", cell.Value);
        Assert.Contains("mud-chip-color-primary", cell.Value);
        Assert.Contains(">4.7<", cell.Value);
        // A row's own cells do not repeat it.
        Assert.DoesNotContain("Default", VmRowText.For(Row(Guid.NewGuid())).FactCells(Row(Guid.NewGuid())).Value);
    }

    [Fact]
    public void ClusterCell_OldVersionOrHostileName_OwnMarkupEncoded()
    {
        var vm = Row(Guid.NewGuid()) with { Cluster = "<b>legacy</b>", CompatibilityVersion = "3.2", ClusterSupportsMemory = false };

        var cell = VmRowText.ClusterCell(vm).Value;

        Assert.Contains("&lt;b&gt;legacy&lt;/b&gt;", cell);
        Assert.DoesNotContain("<b>", cell);
        Assert.Contains("mud-chip-color-default", cell);
        Assert.Contains(">3.2<", cell);
    }

    [Fact]
    public void For_NameOrMemoryChanged_AnotherText()
    {
        var id = Guid.NewGuid();
        var text = VmRowText.For(Row(id));

        Assert.NotSame(text, VmRowText.For(Row(id, name: "web02")));
        Assert.Contains("2048 MiB", VmRowText.For(Row(id, memoryMiB: 2048)).FactCells(Row(id, memoryMiB: 2048)).Value);
        GC.KeepAlive(text);
    }

    [Fact]
    public void Refusals_EqualReasonsFromTwoChecks_OneString()
    {
        var text = VmRowText.For(Row(Guid.NewGuid()));
        var first = text.StopRefusal(string.Concat("The VM is ", "Down; only a running VM can be stopped."));

        var second = text.StopRefusal(string.Concat("The VM is Down; ", "only a running VM can be stopped."));

        Assert.Same(first, second);
        Assert.Null(text.RunRefusal(null));
        Assert.Equal("other", text.StopRefusal("other"));
    }

    [Fact]
    public void For_RowsNoPageHoldsAnyMore_AreDroppedFromTheCache()
    {
        MakeUnheld(600);
        GC.Collect();
        GC.WaitForPendingFinalizers();

        // The next sweep (every 256 new entries) finds the 600 dead; the 256 it makes are held here.
        var held = Enumerable.Range(0, 256).Select(_ => VmRowText.For(Row(Guid.NewGuid()))).ToList();

        Assert.True(VmRowText.CachedCount < 600, $"{VmRowText.CachedCount} entries kept");
        GC.KeepAlive(held);
    }

    private static void MakeUnheld(int count)
    {
        for (var i = 0; i < count; i++) VmRowText.For(Row(Guid.NewGuid()));
    }
}
