using Microsoft.EntityFrameworkCore;
using Portal.Core.Audit;
using Portal.Core.Hosts;
using Portal.Core.Hypervisor;
using Portal.Core.Snapshots;
using Portal.Core.Storage;
using Portal.Tests.Support;

namespace Portal.Tests.Snapshots;

/// <summary>A portal that stopped half-way through a snapshot operation leaves a Locked row; the next start settles it from the host.</summary>
public sealed class InterruptedSnapshotsTests : PortalTest
{
    private static readonly long Dump = MemoryVolumeStore.EstimateBytes(1024, 0);

    /// <summary>What a portal killed during a memory dump leaves: a Locked snapshot holding a memory volume the host has.</summary>
    private async Task<(Guid Snapshot, MemoryVolume Memory)> LeaveInterruptedCreateAsync(Guid vmId, bool hostFinished)
    {
        await using var db = await Portal.DbAsync();
        var domain = await db.StorageDomains.SingleAsync(d => d.PoolName == DemoNode.DataPool, Ct);
        var mv = await Portal.Get<MemoryVolumeStore>().CreateAsync(domain, Dump, Ct);
        var active = await db.Snapshots.SingleAsync(s => s.VmId == vmId && s.Type == SnapshotType.Active, Ct);
        var snapshot = new Snapshot
        {
            VmId = vmId, Description = "before upgrade", Type = SnapshotType.Regular, Status = SnapshotStatus.Locked,
            ConfigurationXml = active.ConfigurationXml, ParentId = active.ParentId, MemoryVolume = mv,
        };
        snapshot.HypervisorName = snapshot.Id.ToString();
        db.Snapshots.Add(snapshot);
        await db.SaveChangesAsync(Ct);
        if (hostFinished)
            await Portal.Hypervisor.CreateSnapshotAsync(vmId, new SnapshotRequest(snapshot.HypervisorName, snapshot.Description, mv.DumpPath), Ct);
        return (snapshot.Id, mv);
    }

    [Fact]
    public async Task Settle_CreationTheHostNeverFinished_RemovesTheSnapshotAndItsDumpGoesWithTheNextCollection()
    {
        var web = await Portal.VmIdAsync("web-frontend");
        var activeBefore = await Portal.ActiveAsync(web);
        var (id, mv) = await LeaveInterruptedCreateAsync(web, hostFinished: false);

        Assert.Equal(1, await Portal.Get<InterruptedSnapshots>().SettleAsync(Ct));

        Assert.Null(await Portal.SnapshotAsync(id));
        Assert.Equal(activeBefore.ParentId, (await Portal.ActiveAsync(web)).ParentId);
        var audit = (await Portal.AuditAsync(web)).Last();
        Assert.Equal((AuditOutcome.Failure, "Snapshot 'before upgrade' creation for VM web-frontend was interrupted when the portal stopped, before the host finished it; it was removed, and its memory volume goes with it."),
            (audit.Outcome, audit.Message));
        // The next collection: this one, or the portal's own first pass, which starts with the portal and may come later.
        await Portal.Get<OrphanVolumeCollector>().CollectAsync(Ct);
        Assert.Equal((false, false), await Portal.VolumesExistAsync(mv));
        await using (var db = await Portal.Get<IDbContextFactory<Portal.Core.Persistence.PortalDbContext>>().CreateDbContextAsync(Ct))
            Assert.Single(await db.AuditEntries.Where(a => a.Operation == "Remove memory volume" && a.Message.StartsWith($"Memory volume {mv.Id} ")).ToListAsync(Ct));
        await Portal.AssertNothingHalfDoneAsync(web);
    }

    [Fact]
    public async Task Settle_CreationTheHostFinished_KeepsTheSnapshotWithItsMemoryUnderTheActive()
    {
        var web = await Portal.VmIdAsync("web-frontend");
        var (id, mv) = await LeaveInterruptedCreateAsync(web, hostFinished: true);

        await Portal.Get<InterruptedSnapshots>().SettleAsync(Ct);

        var snapshot = (await Portal.SnapshotAsync(id))!;
        Assert.Equal((SnapshotStatus.Ok, (Guid?)mv.Id), (snapshot.Status, snapshot.MemoryVolumeId));
        Assert.Contains("<memory snapshot='external'", snapshot.HypervisorXml!.Replace('"', '\''));
        Assert.Equal(id, (await Portal.ActiveAsync(web)).ParentId);
        Assert.Equal(AuditOutcome.Warning, (await Portal.AuditAsync(web)).Last().Outcome);
        Assert.Equal(0, await Portal.Get<OrphanVolumeCollector>().CollectAsync(Ct));
        Assert.Equal((true, true), await Portal.VolumesExistAsync(mv));
        await Portal.AssertNothingHalfDoneAsync(web);
    }

    [Fact]
    public async Task Settle_InterruptedRemoval_KeepsTheSnapshotUsable()
    {
        var (web, s1) = await Portal.WebFrontendStoppedWithMemorySnapshotAsync();
        await using (var db = await Portal.DbAsync())
        {
            (await db.Snapshots.SingleAsync(s => s.Id == s1, Ct)).Status = SnapshotStatus.Locked;
            await db.SaveChangesAsync(Ct);
        }

        await Portal.Get<InterruptedSnapshots>().SettleAsync(Ct);

        Assert.Equal(SnapshotStatus.Ok, (await Portal.SnapshotAsync(s1))!.Status);
        Assert.StartsWith("Removal of snapshot", (await Portal.AuditAsync(web)).Last().Message);
        await Portal.RemoveAsync(web, s1);
        Assert.Null(await Portal.SnapshotAsync(s1));
    }
}
