using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Portal.Core.Persistence;
using Portal.Core.Snapshots;
using Portal.Tests.Support;

namespace Portal.Tests.Snapshots;

/// <summary>The background check that gives a host back the snapshot records it lost, for a few VMs and for many.</summary>
public sealed class SnapshotRecordRestorerTests() : PortalTest(injectFaults: true)
{
    private SnapshotRecordRestorer NewRestorer() =>
        new(Portal.Services.GetRequiredService<IDbContextFactory<PortalDbContext>>(), NullLogger<SnapshotRecordRestorer>.Instance);

    [Theory]
    [InlineData(0)]                               // one VM: asked for its own records
    [InlineData(SnapshotRecordRestorer.WalkAbove)] // many: one walk of the snapshot table finds the one with a record
    public async Task Pend_TheHostLostAVmsSnapshotRecord_ItIsDefinedAgain_TheOtherVmsAreLetGo(int others)
    {
        var (web, s1) = await Portal.WebFrontendStoppedWithMemorySnapshotAsync();
        // Asked of the host's connection itself: the portal's row keeps the record, the host no longer has it.
        await Portal.Faults.DeleteSnapshotAsync(web, s1.ToString(), Ct);
        using var restorer = NewRestorer();

        restorer.Pend(Portal.Faults, [web, .. Enumerable.Range(0, others).Select(_ => Guid.NewGuid())]);
        await restorer.WhenIdleAsync().WaitAsync(TimeSpan.FromSeconds(30), Ct);

        Assert.Contains(s1.ToString(), await Portal.Faults.ListSnapshotNamesAsync(web, Ct));
        Assert.Equal(0, restorer.PendingCount);
    }
}
