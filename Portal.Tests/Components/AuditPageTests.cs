using Bunit;
using Microsoft.AspNetCore.Components;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Portal.Components.Pages.Audit;
using Portal.Core.Audit;
using Portal.Core.Persistence;
using Portal.Tests.Components.Support;

namespace Portal.Tests.Components;

public sealed class AuditPageTests : PortalComponentTest
{
    private async Task WriteAsync(int count)
    {
        var log = Get<AuditLog>();
        for (var i = 0; i < count; i++) await log.WriteAsync("admin", null, null, "Bench", AuditOutcome.Success, $"entry {i}");
    }

    [Fact]
    public async Task Page_MoreEntriesThanAPage_ShowsAPageThenTheNextOlderOne()
    {
        await WriteAsync(250);
        var cut = Render<AuditPage>();
        cut.WaitForAssertion(() => Assert.Equal(200, cut.FindAll("[data-testid=audit-row]").Count));
        Assert.Contains("entry 249", cut.FindAll("[data-testid=audit-row]")[0].TextContent);

        await cut.Find("[data-testid=audit-more]").ClickAsync(new());

        cut.WaitForAssertion(() => Assert.True(cut.FindAll("[data-testid=audit-row]").Count >= 250));
        var rows = cut.FindAll("[data-testid=audit-row]");
        Assert.Contains("entry 0", rows[^1].TextContent);
        Assert.Empty(cut.FindAll("[data-testid=audit-more]"));
        Assert.Equal(rows.Count, rows.Select(r => r.TextContent).Distinct().Count());
    }

    [Fact]
    public async Task Page_NewEntry_AppearsOnTopOnce()
    {
        await WriteAsync(3);
        var cut = Render<AuditPage>();
        cut.WaitForAssertion(() => Assert.Equal(3, cut.FindAll("[data-testid=audit-row]").Count));

        await Get<AuditLog>().WriteAsync("admin", null, null, "Bench", AuditOutcome.Warning, "the newest");

        cut.WaitForAssertion(() => Assert.Contains("the newest", cut.FindAll("[data-testid=audit-row]")[0].TextContent));
        Assert.Equal(4, cut.FindAll("[data-testid=audit-row]").Count);
    }

    [Fact]
    public async Task Page_FilterInTheAddress_ShowsOnlyItsEntriesAndItsValuesInTheBoxes()
    {
        var log = Get<AuditLog>();
        await log.WriteAsync("alice", null, "web-frontend", "Run VM", AuditOutcome.Failure, "alice failed on web-frontend");
        await log.WriteAsync("bob", null, "web-frontend", "Run VM", AuditOutcome.Failure, "bob failed on web-frontend");
        await log.WriteAsync("alice", null, "db-primary", "Run VM", AuditOutcome.Failure, "alice failed on db-primary");
        await log.WriteAsync("alice", null, "web-frontend", "Run VM", AuditOutcome.Success, "alice ran web-frontend");
        Services.GetRequiredService<NavigationManager>().NavigateTo("audit?outcome=failure&user=alice&vm=web-frontend");

        var cut = Render<AuditPage>();

        cut.WaitForAssertion(() => Assert.Equal(["alice failed on web-frontend"], Messages(cut)));
        Assert.Equal(("Failure", "alice", "web-frontend"), (cut.Find("[data-testid=audit-filter-outcome]").GetAttribute("value"),
            cut.Find("[data-testid=audit-filter-user]").GetAttribute("value"), cut.Find("[data-testid=audit-filter-vm]").GetAttribute("value")));
        Assert.Single(cut.FindAll("[data-testid=audit-filter-clear]"));
        // Each row's user opens the log filtered to that user.
        Assert.Equal("audit?user=alice", cut.Find("[data-testid=audit-row] td:nth-child(3) a").GetAttribute("href"));
    }

    [Fact]
    public async Task Page_Filtered_ANewEntryAppearsOnlyIfItMatches()
    {
        Services.GetRequiredService<NavigationManager>().NavigateTo("audit?outcome=Failure");
        var cut = Render<AuditPage>();
        cut.WaitForAssertion(() => Assert.Equal("No entry matches the filter.", cut.Find("[data-testid=audit-empty]").TextContent));

        await Get<AuditLog>().WriteAsync("admin", null, null, "Bench", AuditOutcome.Success, "a success");
        await Get<AuditLog>().WriteAsync("admin", null, null, "Bench", AuditOutcome.Failure, "a failure");

        cut.WaitForAssertion(() => Assert.Equal(["a failure"], Messages(cut)));
    }

    [Fact]
    public async Task Page_UserTyped_TheAddressCarriesTheFilterAndThePageShowsIt()
    {
        await Get<AuditLog>().WriteAsync("alice", null, null, "Bench", AuditOutcome.Success, "by alice");
        await Get<AuditLog>().WriteAsync("bob", null, null, "Bench", AuditOutcome.Success, "by bob");
        var navigation = Services.GetRequiredService<NavigationManager>();
        navigation.NavigateTo("audit");
        var cut = Render<AuditPage>();
        cut.WaitForAssertion(() => Assert.Equal(2, Messages(cut).Count));

        await cut.InvokeAsync(() => cut.Find("[data-testid=audit-filter-user]").ChangeAsync(new ChangeEventArgs { Value = " bob " }));

        Assert.EndsWith("/audit?user=bob", navigation.Uri);
        cut.WaitForAssertion(() => Assert.Equal(["by bob"], Messages(cut)));

        await cut.InvokeAsync(() => cut.Find("[data-testid=audit-filter-clear]").ClickAsync(new()));

        Assert.EndsWith("/audit", navigation.Uri);
        cut.WaitForAssertion(() => Assert.Equal(2, Messages(cut).Count));
        Assert.Empty(cut.FindAll("[data-testid=audit-filter-clear]"));
    }

    [Fact]
    public async Task Page_OperationPicked_TheAddressCarriesItAfterTheOutcomeAndKeepsTheOtherParts()
    {
        var log = Get<AuditLog>();
        await log.WriteAsync("alice", null, "web-frontend", AuditOperations.RunVm, AuditOutcome.Success, "alice ran it");
        await log.WriteAsync("alice", null, "web-frontend", AuditOperations.StopVm, AuditOutcome.Success, "alice stopped it");
        await log.WriteAsync("bob", null, "web-frontend", AuditOperations.StopVm, AuditOutcome.Success, "bob stopped it");
        var navigation = Services.GetRequiredService<NavigationManager>();
        navigation.NavigateTo("audit?user=alice");
        var cut = Render<AuditPage>();
        cut.WaitForAssertion(() => Assert.Equal(["alice stopped it", "alice ran it"], Messages(cut)));
        // Every operation the portal records is offered, by name, after "Any".
        Assert.Equal(["", .. AuditOperations.All], cut.FindAll("[data-testid=audit-filter-operation] option").Select(o => o.GetAttribute("value")));

        await cut.InvokeAsync(() => cut.Find("[data-testid=audit-filter-operation]").ChangeAsync(new ChangeEventArgs { Value = AuditOperations.StopVm }));

        Assert.EndsWith("/audit?operation=Stop%20VM&user=alice", navigation.Uri);
        cut.WaitForAssertion(() => Assert.Equal(["alice stopped it"], Messages(cut)));
        Assert.Equal(AuditOperations.StopVm, cut.Find("[data-testid=audit-filter-operation]").GetAttribute("value"));
    }

    [Fact]
    public async Task Page_AnOperationOnlyTheAddressNames_IsFilteredByAndShownInTheSelect()
    {
        await Get<AuditLog>().WriteAsync("admin", null, null, "Retired operation", AuditOutcome.Success, "from an older portal");
        await Get<AuditLog>().WriteAsync("admin", null, null, AuditOperations.RunVm, AuditOutcome.Success, "a run");
        Services.GetRequiredService<NavigationManager>().NavigateTo("audit?operation=Retired%20operation");

        var cut = Render<AuditPage>();

        cut.WaitForAssertion(() => Assert.Equal(["from an older portal"], Messages(cut)));
        Assert.Equal("Retired operation", cut.Find("[data-testid=audit-filter-operation] option:last-child").GetAttribute("value"));
        Assert.Equal("Retired operation", cut.Find("[data-testid=audit-filter-operation]").GetAttribute("value"));
    }

    [Fact]
    public async Task Page_BeforePicked_ShowsTheOlderEntriesKeepsTheOtherPartsAndNoNewEntry()
    {
        await using (var db = await Get<IDbContextFactory<PortalDbContext>>().CreateDbContextAsync(Ct))
        {
            var t0 = new DateTime(2026, 11, 1, 8, 0, 0, DateTimeKind.Utc);
            foreach (var (hour, user) in new[] { (0, "alice"), (1, "bob"), (2, "alice"), (3, "alice") })
                db.AuditEntries.Add(new AuditEntry { At = t0.AddHours(hour), User = user, Operation = "Bench", Message = $"{user} at {8 + hour}:00" });
            await db.SaveChangesAsync(Ct);
        }
        var navigation = Services.GetRequiredService<NavigationManager>();
        navigation.NavigateTo("audit?user=alice");
        var cut = Render<AuditPage>();
        cut.WaitForAssertion(() => Assert.Equal(["alice at 11:00", "alice at 10:00", "alice at 8:00"], Messages(cut)));

        // The browser's picker gives minutes; the times are the table's, UTC.
        await cut.InvokeAsync(() => cut.Find("[data-testid=audit-filter-before]").ChangeAsync(new ChangeEventArgs { Value = "2026-11-01T10:30" }));

        Assert.EndsWith("/audit?user=alice&before=2026-11-01T10%3A30", navigation.Uri);
        cut.WaitForAssertion(() => Assert.Equal(["alice at 10:00", "alice at 8:00"], Messages(cut)));
        Assert.Equal("2026-11-01T10:30", cut.Find("[data-testid=audit-filter-before]").GetAttribute("value"));
        Assert.False(cut.Find("[data-testid=audit-filter-before]").HasAttribute("step")); // minutes only: no seconds field to fill
        Assert.Contains("from 2026-11-01 10:30:00 UTC back", cut.Find("[data-testid=audit-caption]").TextContent);
        // An entry written now is after that time: it does not come in on top.
        await Get<AuditLog>().WriteAsync("alice", null, null, "Bench", AuditOutcome.Success, "alice now");
        await cut.InvokeAsync(() => { }); // the renderer's queue is in order: the entry's handler has run before this
        Assert.DoesNotContain("alice now", Messages(cut));

        await cut.InvokeAsync(() => cut.Find("[data-testid=audit-filter-before]").ChangeAsync(new ChangeEventArgs { Value = "" }));

        Assert.EndsWith("/audit?user=alice", navigation.Uri);
        cut.WaitForAssertion(() => Assert.Equal("alice now", Messages(cut)[0]));
        // Each entry's time opens the whole log from the end of its second back.
        Assert.Equal("audit?before=2026-11-01T10%3A00%3A01", cut.FindAll("[data-testid=audit-row] td:first-child a")[2].GetAttribute("href"));

        navigation.NavigateTo("audit?before=2026-11-01T10%3A00%3A01");

        cut.WaitForAssertion(() => Assert.Equal(["alice at 10:00", "bob at 9:00", "alice at 8:00"], Messages(cut)));
        // A time with seconds shows them in the picker (step 1), so the box says what the page shows.
        Assert.Equal(("2026-11-01T10:00:01", "1"), (cut.Find("[data-testid=audit-filter-before]").GetAttribute("value"), cut.Find("[data-testid=audit-filter-before]").GetAttribute("step")));
    }

    private static List<string> Messages(IRenderedComponent<AuditPage> cut) =>
        cut.FindAll("[data-testid=audit-row] td:last-child").Select(td => td.TextContent).ToList();
}
