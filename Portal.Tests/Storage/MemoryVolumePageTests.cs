using Microsoft.EntityFrameworkCore;
using Portal.Core;
using Portal.Core.Snapshots;
using Portal.Tests.Support;

namespace Portal.Tests.Storage;

/// <summary>A storage domain's memory volumes, a page at a time from the database: the largest first, searched, sorted.</summary>
public sealed class MemoryVolumePageTests : PortalTest
{
    [Fact]
    public async Task Page_LargestFirst_EachWithItsVmAndTheSnapshotThatSavedIt_ALostDumpLast()
    {
        var (web, db, domain) = await ThreeVolumesAsync();

        var page = await Portal.Queries.MemoryVolumePageAsync(new(domain, 0, 25), Ct);

        Assert.Equal(3, page.Total);
        Assert.Equal([("db-primary", "before upgrade", 300L << 20, false), ("web-frontend", "s1", 200L << 20, false), ("db-primary", "nightly", 100L << 20, true)],
            page.Items.Select(r => (r.VmName, r.Snapshot, r.SizeBytes, r.IsMissingOnHost)));
        Assert.Equal([db, web, db], page.Items.Select(r => r.VmId!.Value));
        // web-frontend's memory is also its Active snapshot's since the commit (restored on its next run): two snapshots,
        // and the one that saved it is named.
        Assert.Equal([1, 2, 1], page.Items.Select(r => r.Snapshots));
    }

    [Fact]
    public async Task Page_SearchedSortedAndPaged_InTheDatabase()
    {
        var (_, _, domain) = await ThreeVolumesAsync();
        var queries = Portal.Queries;

        // A part of the VM's name or of a snapshot's description, in any case.
        Assert.Equal(["before upgrade", "nightly"], (await queries.MemoryVolumePageAsync(new(domain, 0, 25, "DB-PRIM"), Ct)).Items.Select(r => r.Snapshot));
        Assert.Equal(["nightly"], (await queries.MemoryVolumePageAsync(new(domain, 0, 25, "night"), Ct)).Items.Select(r => r.Snapshot));
        Assert.Equal(0, (await queries.MemoryVolumePageAsync(new(domain, 0, 25, "no such"), Ct)).Total);

        Assert.Equal(["s1", "nightly", "before upgrade"],
            (await queries.MemoryVolumePageAsync(new(domain, 0, 25, SortBy: MemoryVolumeSort.Saved, Descending: false), Ct)).Items.Select(r => r.Snapshot));
        Assert.Equal(["web-frontend", "db-primary", "db-primary"],
            (await queries.MemoryVolumePageAsync(new(domain, 0, 25, SortBy: MemoryVolumeSort.Vm), Ct)).Items.Select(r => r.VmName));
        var second = await queries.MemoryVolumePageAsync(new(domain, 1, 2), Ct);
        Assert.Equal(3, second.Total);
        Assert.Equal(["nightly"], second.Items.Select(r => r.Snapshot));
        // Another domain's page is empty.
        Assert.Equal(0, (await queries.MemoryVolumePageAsync(new(Guid.NewGuid(), 0, 25), Ct)).Total);
    }

    /// <summary>
    /// web-frontend's "s1" previewed with its memory and committed (200 MiB); db-primary's "nightly" (100 MiB, its dump
    /// lost by the host) and "before upgrade" (300 MiB), made in that order. The sizes are set in the database: the test
    /// driver's dumps are a few bytes each.
    /// </summary>
    private async Task<(Guid Web, Guid Db, Guid Domain)> ThreeVolumesAsync()
    {
        var (web, s1) = await Portal.WebFrontendStoppedWithMemorySnapshotAsync();
        await PortalFixture.Succeeds(Portal.PreviewAsync(web, s1));
        await PortalFixture.Succeeds(Portal.CommitAsync(web));
        var dbVm = await Portal.VmIdAsync("db-primary");
        var nightly = await Portal.CreateSnapshotAsync(dbVm, "nightly");
        var upgrade = await Portal.CreateSnapshotAsync(dbVm, "before upgrade");
        await using var db = await Portal.DbAsync();
        var sizes = new Dictionary<Guid, long> { [s1] = 200L << 20, [nightly] = 100L << 20, [upgrade] = 300L << 20 };
        foreach (var (snapshot, size) in sizes)
        {
            var volume = (await db.Snapshots.Include(s => s.MemoryVolume).SingleAsync(s => s.Id == snapshot, Ct)).MemoryVolume!;
            volume.SizeBytes = size;
            volume.IsMissingOnHost = snapshot == nightly;
        }
        await db.SaveChangesAsync(Ct);
        return (web, dbVm, (await db.MemoryVolumes.Select(m => m.StorageDomainId).Distinct().SingleAsync(Ct)));
    }
}
