using System.Globalization;
using System.Text.RegularExpressions;
using AngleSharp.Dom;
using Bunit;
using Portal.Components.Pages.Storage;
using Portal.Core;
using Portal.Core.Snapshots;
using Portal.Core.Storage;
using Portal.Tests.Components.Support;

namespace Portal.Tests.Components.Storage;

public sealed class StorageUsageBarTests : PortalComponentTest
{
    private const long GiB = 1L << 30, MiB = 1L << 20;

    [Fact]
    public void Bar_DomainWithMemoryVolumes_ShowsMemoryOtherAndFreeInProportion()
    {
        var domain = Row("data-file", capacity: 10 * GiB, free: 6 * GiB, memory: 2480 * MiB);

        var cut = Render<StorageUsageBar>(p => p.Add(x => x.Domain, domain));

        Assert.Equal(24.22, WidthOf(cut, "storage-data-file-usage-memory"), 2);
        Assert.Equal(15.78, WidthOf(cut, "storage-data-file-usage-other"), 2);
        Assert.Equal(60, WidthOf(cut, "storage-data-file-usage-free"), 2);
        var bar = cut.Find("[data-testid=storage-data-file-usage]");
        Assert.Equal("img", bar.GetAttribute("role"));
        Assert.Equal("data-file: 4 GiB used of 10 GiB (40 %); memory volumes 2.4 GiB; 6 GiB free", bar.GetAttribute("aria-label"));
        Assert.Equal((4 * GiB).ToString(CultureInfo.InvariantCulture), bar.GetAttribute("data-used-bytes"));
    }

    [Fact]
    public void Bar_SparseMemoryVolumesLargerThanUsedSpace_MemoryAtFullSizeAndFreePartWhatIsLeft()
    {
        // Sparse dumps on a File domain hold less than their size: the bar counts what they may take.
        var domain = Row("sparse", capacity: 10 * GiB, free: 9 * GiB, memory: 3 * GiB);

        var cut = Render<StorageUsageBar>(p => p.Add(x => x.Domain, domain));

        Assert.Equal(30, WidthOf(cut, "storage-sparse-usage-memory"), 2);
        Assert.Equal(0, WidthOf(cut, "storage-sparse-usage-other"), 2);
        Assert.Equal(70, WidthOf(cut, "storage-sparse-usage-free"), 2);
        Assert.Equal("sparse: 1 GiB used of 10 GiB (10 %); memory volumes 3 GiB; 9 GiB free",
            cut.Find("[data-testid=storage-sparse-usage]").GetAttribute("aria-label"));
    }

    [Fact]
    public async Task StoragePage_AfterMemorySnapshot_DataDomainBarShowsTheMemoryVolume()
    {
        var vm = await VmAsync("web-frontend");
        await SnapshotAsync(vm.Id, "with memory", saveMemory: true);
        var row = (await Get<PortalQueries>().StorageDomainRowsAsync(Ct)).Single(d => d.MemoryVolumes == 1);

        var cut = Render<StoragePage>();

        var bar = cut.WaitForElement($"[data-testid=storage-{row.Name}-usage]");
        // RAM 1024 MiB + 200 MiB + video RAM 16 MiB, as the Memory column says.
        Assert.Equal((1240 * MiB).ToString(CultureInfo.InvariantCulture), bar.GetAttribute("data-memory-bytes"));
        Assert.Contains("memory volumes 1.2 GiB", bar.GetAttribute("aria-label"));
        Assert.Equal(100.0 * 1240 * MiB / row.CapacityBytes!.Value, WidthOf(cut, $"storage-{row.Name}-usage-memory"), 2);
    }

    [Fact]
    public async Task StoragePage_BurstOfAuditEntries_ReloadsAFewTimesNotOncePerEntry()
    {
        var cut = Render<StoragePage>();
        cut.WaitForElement("[data-testid=storage-data-file-usage]");
        var before = cut.RenderCount;

        var notifier = Get<Portal.Core.Vms.PortalNotifier>();
        for (var i = 0; i < 100; i++)
            notifier.Publish(new Portal.Core.Vms.AuditAdded(new Portal.Core.Audit.AuditEntry { Id = i + 1, User = "u", Operation = "Run VM", Message = "m" }));
        // A domain registered now is shown by one of the reloads the burst caused.
        var vm = await VmAsync("web-frontend");
        await SnapshotAsync(vm.Id, "after the burst", saveMemory: true);
        notifier.Publish(new Portal.Core.Storage.StorageDomainsChanged());

        cut.WaitForAssertion(() => Assert.Equal("1", cut.Find("[data-testid=storage-data-file-memory-count]").TextContent));
        // Renders of the page and its MudBlazor children: about 70 with the burst folded into a few reloads, 3162 when
        // every entry reloaded the pools and re-rendered the grid.
        Assert.InRange(cut.RenderCount - before, 1, 400);
    }

    private static StorageDomainRow Row(string name, long capacity, long free, long memory) =>
        new(Guid.NewGuid(), name, StorageKind.File, StorageRole.Data, name, capacity, free, 1, memory, null);

    private static double WidthOf(IRenderedComponent<Microsoft.AspNetCore.Components.IComponent> cut, string testId) =>
        double.Parse(Regex.Match(cut.Find($"[data-testid={testId}]").GetAttribute("style")!, @"width:([\d.]+)%").Groups[1].Value, CultureInfo.InvariantCulture);
}
