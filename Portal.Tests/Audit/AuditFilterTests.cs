using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Portal.Core;
using Portal.Core.Audit;
using Portal.Core.Persistence;
using Portal.Tests.Support;

namespace Portal.Tests.Audit;

/// <summary>The audit log's filter: the entries of one outcome, operation, user or VM, newest first, a page at a time.</summary>
public sealed class AuditFilterTests : PortalTest
{
    private PortalQueries Queries => Portal.Get<PortalQueries>();

    /// <summary>Every combination of two users, three VM names (one none) and the three outcomes, twice over: once as Run VM, once as Stop VM.</summary>
    private async Task<List<AuditEntry>> WriteMixAsync()
    {
        var log = Portal.Get<AuditLog>();
        var written = new List<AuditEntry>();
        for (var round = 0; round < 2; round++)
            foreach (var user in new[] { "alice", "bob" })
                foreach (var vm in new[] { "web-frontend", "db-primary", null })
                    foreach (var outcome in Enum.GetValues<AuditOutcome>())
                        written.Add(await log.WriteAsync(user, vm is null ? null : Guid.NewGuid(), vm, round == 0 ? AuditOperations.RunVm : AuditOperations.StopVm,
                            outcome, $"{round} {user} {vm} {outcome}"));
        return written;
    }

    [Fact]
    public async Task Audit_EachFilter_OnlyItsEntriesNewestFirstAsMatchesSays()
    {
        var written = await WriteMixAsync();
        AuditFilter[] filters =
        [
            new(Outcome: AuditOutcome.Failure),
            new(User: "bob"),
            new(VmName: "db-primary"),
            new(AuditOutcome.Warning, "alice", "web-frontend"),
            new(User: "Bob"), // exact: user names are case-sensitive, as sign-in is
            new(Operation: AuditOperations.StopVm),
            new(AuditOutcome.Failure, "bob", Operation: AuditOperations.RunVm),
        ];

        foreach (var filter in filters)
        {
            var shown = await Queries.AuditAsync(1000, filter: filter, ct: Ct);
            var expected = written.Where(filter.Matches).OrderByDescending(a => a.Id).Select(a => a.Message).ToList();
            Assert.Equal(expected, shown.Select(a => a.Message).ToList());
            Assert.All(shown, a => Assert.True(filter.Matches(a)));
        }
        Assert.Equal(12, (await Queries.AuditAsync(1000, filter: new(Outcome: AuditOutcome.Failure), ct: Ct)).Count);
        Assert.Empty(await Queries.AuditAsync(1000, filter: new(User: "Bob"), ct: Ct));
        Assert.Equal(2, (await Queries.AuditAsync(1000, filter: new(AuditOutcome.Warning, "alice", "web-frontend"), ct: Ct)).Count);
        Assert.Equal(18, (await Queries.AuditAsync(1000, filter: new(Operation: AuditOperations.StopVm), ct: Ct)).Count);
        Assert.Equal(3, (await Queries.AuditAsync(1000, filter: new(AuditOutcome.Failure, "bob", Operation: AuditOperations.RunVm), ct: Ct)).Count);
    }

    [Fact]
    public async Task Audit_Before_ReadsBackFromThatTimeByEveryFilterAndPagesWithoutGaps()
    {
        var t0 = new DateTime(2026, 11, 1, 8, 0, 0, DateTimeKind.Utc);
        await using (var db = await Portal.Get<IDbContextFactory<PortalDbContext>>().CreateDbContextAsync(Ct))
        {
            // One an hour, alice and bob in turn; then one written last with a time among them (a slow commit).
            for (var i = 0; i < 30; i++)
                db.AuditEntries.Add(new AuditEntry { At = t0.AddHours(i), User = i % 2 == 0 ? "alice" : "bob", Operation = AuditOperations.RunVm, Message = $"hour {i}" });
            await db.SaveChangesAsync(Ct);
            db.AuditEntries.Add(new AuditEntry { At = t0.AddHours(10.5), User = "bob", Operation = AuditOperations.RunVm, Message = "committed late" });
            await db.SaveChangesAsync(Ct);
        }
        var before = new AuditFilter(Before: t0.AddHours(20));

        var shown = await Queries.AuditAsync(1000, filter: before, ct: Ct);

        Assert.Equal(["committed late", .. Enumerable.Range(0, 20).Reverse().Select(i => $"hour {i}")], shown.Select(a => a.Message));
        Assert.All(shown, a => Assert.True(before.Matches(a)));
        Assert.Equal(["committed late", "hour 19", "hour 17"], (await Queries.AuditAsync(3, filter: before with { User = "bob" }, ct: Ct)).Select(a => a.Message));
        // Paged below the last entry shown, as the page's "Show older entries" does: every one once.
        var first = await Queries.AuditAsync(7, filter: before, ct: Ct);
        var rest = await Queries.AuditAsync(100, beforeId: first[^1].Id, filter: before, ct: Ct);
        Assert.Equal(shown.Select(a => a.Id), first.Concat(rest).Select(a => a.Id));
        Assert.Empty(await Queries.AuditAsync(10, filter: new(Before: t0), ct: Ct));
        Assert.Equal("hour 0", Assert.Single(await Queries.AuditAsync(10, filter: new(Before: t0.AddMinutes(1)), ct: Ct)).Message);
    }

    [Fact]
    public void Operations_EveryCommandsName_IsOneTheFilterOffersOnce()
    {
        var commands = Portal.Services.GetServices<Portal.Core.Commands.IRecoverableCommand>().Select(c => c.Operation).ToList();

        Assert.True(commands.Count >= 18, $"{commands.Count} commands registered");
        Assert.All(commands, name => Assert.Contains(name, AuditOperations.All));
        Assert.Equal(AuditOperations.All.Distinct().Count(), AuditOperations.All.Count);
        Assert.Equal(AuditOperations.All.Order(StringComparer.OrdinalIgnoreCase), AuditOperations.All);
    }

    [Fact]
    public async Task Audit_FilteredPages_FollowOnBelowTheLastEntryShownWithoutGapsOrRepeats()
    {
        var written = await WriteMixAsync();
        var filter = new AuditFilter(User: "alice");

        var first = await Queries.AuditAsync(5, filter: filter, ct: Ct);
        var second = await Queries.AuditAsync(5, beforeId: first[^1].Id, filter: filter, ct: Ct);
        var rest = await Queries.AuditAsync(100, beforeId: second[^1].Id, filter: filter, ct: Ct);

        var expected = written.Where(a => a.User == "alice").OrderByDescending(a => a.Id).Select(a => a.Id);
        Assert.Equal(expected, first.Concat(second).Concat(rest).Select(a => a.Id));
        Assert.Equal((5, 5, 8), (first.Count, second.Count, rest.Count));
    }

    [Fact]
    public void From_BlankPartsLeftOutAndTheOthersTrimmed()
    {
        Assert.True(AuditFilter.From(null, " ", "").IsEmpty);
        Assert.Equal(new AuditFilter(AuditOutcome.Failure, "bob", "web-frontend"), AuditFilter.From(AuditOutcome.Failure, " bob ", "web-frontend\t"));
        Assert.Equal(new AuditFilter(Operation: "Run VM"), AuditFilter.From(null, null, null, " Run VM "));
    }
}
