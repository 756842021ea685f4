using Microsoft.EntityFrameworkCore;
using Portal.Core;
using Portal.Core.Snapshots;
using Portal.Core.Vms;
using Portal.Tests.Support;

namespace Portal.Tests.Persistence;

/// <summary>The VMs grid's query: filtered, sorted and paged in the database, flags from projections (SQLite, or PostgreSQL with PORTAL_TEST_POSTGRES).</summary>
public sealed class VmGridQueryTests : PortalTest
{
    /// <summary>Adds <paramref name="count"/> stopped VMs named <c>bulk-000</c>… to the database, in the demo host's first cluster.</summary>
    private async Task AddVmsAsync(int count)
    {
        await using var db = await Portal.DbAsync();
        var cluster = await db.Clusters.OrderBy(c => c.Name).Select(c => c.Id).FirstAsync(Ct);
        for (var i = 0; i < count; i++)
            db.Vms.Add(new Vm { Id = Guid.NewGuid(), Name = $"bulk-{i:000}", ClusterId = cluster, MemoryMiB = 64 + i, Status = VmStatus.Down, StatusSince = DateTime.UtcNow });
        await db.SaveChangesAsync(Ct);
    }

    [Fact]
    public async Task Page_ManyVms_ReturnsOnePageInNameOrderAndTheTotal()
    {
        await AddVmsAsync(30);
        var all = (await Portal.Queries.VmsAsync(Ct)).Select(v => v.Name).ToList();

        var second = await Portal.Queries.VmPageAsync(new VmGridQuery(Page: 1, PageSize: 10), Ct);

        Assert.Equal(all.Count, second.Total);
        Assert.Equal(all.Skip(10).Take(10), second.Items.Select(v => v.Name));
    }

    [Fact]
    public async Task Page_SortedByMemoryDescending_LargestFirst()
    {
        await AddVmsAsync(5);

        var page = await Portal.Queries.VmPageAsync(new VmGridQuery(0, 100, SortBy: VmSort.Memory, Descending: true), Ct);

        var memory = page.Items.Select(v => v.MemoryMiB).ToList();
        Assert.Equal(memory.OrderDescending(), memory);
        Assert.Equal(page.Total, memory.Count);
    }

    [Theory]
    [InlineData("REPORT", new[] { "legacy-reports" })]
    [InlineData("bulk-00", new[] { "bulk-000", "bulk-001", "bulk-002" })]
    public async Task Page_SearchText_MatchesPartOfTheNameIgnoringCase(string search, string[] expected)
    {
        await AddVmsAsync(3);

        var page = await Portal.Queries.VmPageAsync(new VmGridQuery(0, 50, search), Ct);

        Assert.Equal(expected, page.Items.Select(v => v.Name));
        Assert.Equal(expected.Length, page.Total);
    }

    [Fact]
    public async Task Page_SearchStatusOrCluster_MatchesThoseVms()
    {
        var up = await Portal.Queries.VmPageAsync(new VmGridQuery(0, 50, "up"), Ct);
        var cluster = (await Portal.Queries.VmsAsync(Ct)).First().Cluster;
        var inCluster = await Portal.Queries.VmPageAsync(new VmGridQuery(0, 50, cluster.ToUpperInvariant()), Ct);

        Assert.NotEmpty(up.Items);
        Assert.All(up.Items, v => Assert.Equal(VmStatus.Up, v.Status));
        Assert.Equal((await Portal.Queries.VmsAsync(Ct)).Count(v => v.Status == VmStatus.Up), up.Total);
        Assert.All(inCluster.Items, v => Assert.Equal(cluster, v.Cluster));
        Assert.Equal((await Portal.Queries.VmsAsync(Ct)).Count(v => v.Cluster == cluster), inCluster.Total);
    }

    [Fact]
    public async Task Row_SnapshotStates_FlagsComeFromTheSnapshots()
    {
        var web = await Portal.VmIdAsync("web-frontend");
        await using (var db = await Portal.DbAsync())
        {
            db.Snapshots.Add(new Snapshot { VmId = web, Description = "being taken", Type = SnapshotType.Regular, Status = SnapshotStatus.Locked, CreatedAt = DateTime.UtcNow });
            db.Snapshots.Add(new Snapshot { VmId = web, Description = Snapshot.StatelessDescription, Type = SnapshotType.Stateless, CreatedAt = DateTime.UtcNow });
            await db.SaveChangesAsync(Ct);
        }

        var row = (await Portal.Queries.VmAsync(web, Ct))!;
        var other = (await Portal.Queries.VmAsync(await Portal.VmIdAsync("build-agent"), Ct))!;
        var paged = (await Portal.Queries.VmPageAsync(new VmGridQuery(0, 50, "web-frontend"), Ct)).Items.Single();

        Assert.Equal("being taken", row.LockedSnapshot);
        Assert.True(row.RunningStateless);
        Assert.False(row.HasPreviewSnapshot);
        Assert.Null(other.LockedSnapshot);
        Assert.False(other.RunningStateless);
        Assert.Equal(row with { StatusSince = paged.StatusSince }, paged);
    }

    [Fact]
    public async Task Row_PreviewOfAMemorySnapshot_FlagsAgreeWithTheLoadedSnapshots()
    {
        var (web, s1) = await Portal.WebFrontendStoppedWithMemorySnapshotAsync();
        await Portal.PreviewAsync(web, s1);

        var row = (await Portal.Queries.VmAsync(web, Ct))!;
        var vm = await Portal.LoadVmAsync(web);

        Assert.True(row.InPreview);
        Assert.True(row.HasPreviewSnapshot);
        Assert.Equal(vm.Snapshots.Any(s => s.Type == SnapshotType.Active && s.MemoryVolumeId != null), row.ActiveHasMemory);
        Assert.Equal(vm.Snapshots.Any(s => s.Type == SnapshotType.Active && s.MemoryVolume is { IsMissingOnHost: true }), row.ActiveMemoryMissing);
        Assert.False(row.RecoveryPending);
    }
}
