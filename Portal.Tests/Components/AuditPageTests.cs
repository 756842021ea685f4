using Bunit;
using Portal.Components.Pages.Audit;
using Portal.Core.Audit;
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
}
