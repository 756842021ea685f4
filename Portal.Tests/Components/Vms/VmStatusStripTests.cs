using System.Globalization;
using System.Text.RegularExpressions;
using Bunit;
using Microsoft.Extensions.DependencyInjection;
using Portal.Components.Pages.Vms;
using Portal.Core.Vms;
using Portal.Tests.Components.Support;

namespace Portal.Tests.Components.Vms;

public sealed class VmStatusStripTests : PortalComponentTest
{
    private static readonly DateTime Now = new(2026, 12, 2, 12, 0, 0, DateTimeKind.Utc);

    public VmStatusStripTests() => Services.AddSingleton<TimeProvider>(new FixedClock(Now));

    [Fact]
    public void Strip_RunStopAndRestoreInLast24Hours_OneSegmentPerStatusInOrderWithTheirShare()
    {
        List<VmStatusTransition> transitions =
        [
            T(1, VmStatus.Down, VmStatus.PoweringUp, Now.AddHours(-30)),
            T(2, VmStatus.PoweringUp, VmStatus.Up, Now.AddHours(-30).AddSeconds(5)),
            T(3, VmStatus.Up, VmStatus.Down, Now.AddHours(-6)),
            T(4, VmStatus.Down, VmStatus.RestoringState, Now.AddHours(-1)),
            T(5, VmStatus.RestoringState, VmStatus.Up, Now.AddHours(-1).AddSeconds(2)),
        ];

        var cut = Render<VmTimeline>(p => p.Add(x => x.Transitions, transitions));

        var segments = cut.FindAll("[data-testid=vm-status-strip] [data-testid=status-strip-segment]");
        Assert.Equal(["Up", "Down", "RestoringState", "Up"], segments.Select(s => s.GetAttribute("data-status")));
        Assert.Equal([75, 20.8333, 0.0023, 4.1644], segments.Select(s => Share(s.GetAttribute("style")!)));
        var label = cut.Find("[data-testid=vm-status-strip] [role=img]").GetAttribute("aria-label");
        // 30 hours of history: the window opens on what the transition before it left (Up), never on "not recorded".
        Assert.Equal("Status over the last 24 hours: Up 18 h 59 min, Down 5 h 0 min, Restoring state 2 s.", label);
        // The strip is above the table, which still lists every transition.
        Assert.Equal(5, cut.FindAll("[data-testid=timeline-row]").Count);
        Assert.True(cut.Markup.IndexOf("vm-status-strip", StringComparison.Ordinal) < cut.Markup.IndexOf("vm-timeline", StringComparison.Ordinal));
    }

    [Fact]
    public void Strip_LastHourPicked_TheRecentRunsFillTheStrip_SevenDaysReachesFurtherBack()
    {
        List<VmStatusTransition> transitions =
        [
            T(1, VmStatus.Down, VmStatus.Up, Now.AddDays(-3)),
            T(2, VmStatus.Up, VmStatus.Down, Now.AddMinutes(-30)),
            T(3, VmStatus.Down, VmStatus.RestoringState, Now.AddMinutes(-15)),
            T(4, VmStatus.RestoringState, VmStatus.Up, Now.AddMinutes(-15).AddSeconds(3)),
        ];
        var cut = Render<VmTimeline>(p => p.Add(x => x.Transitions, transitions));
        string Label() => cut.Find("[data-testid=vm-status-strip] [role=img]").GetAttribute("aria-label")!;
        string Axis() => string.Join(" | ", cut.FindAll("[data-testid=status-strip-axis] span").Select(s => s.TextContent));
        IEnumerable<double> Shares() => cut.FindAll("[data-testid=status-strip-segment]").Select(s => Share(s.GetAttribute("style")!));

        cut.Find("[data-testid=status-strip-window-1h]").Click();

        Assert.Equal("Status over the last hour: Up 44 min 57 s, Down 15 min 0 s, Restoring state 3 s.", Label());
        Assert.Equal([50, 25, 0.0833, 24.9167], Shares());
        Assert.Equal("11:00 UTC (1 h ago) | 30 min ago | now", Axis());

        cut.Find("[data-testid=status-strip-window-7d]").Click();

        Assert.Equal("Status over the last 7 days: Not recorded 96 h 0 min, Up 71 h 44 min, Down 15 min 0 s, Restoring state 3 s.", Label());
        Assert.Equal("2026-11-25 12:00 UTC (7 days ago) | 3.5 days ago | now", Axis());
    }

    [Fact]
    public void Strip_RecordedPicked_ANewVmsFewMinutesFillTheStrip_AndANewChangeKeepsThePick()
    {
        List<VmStatusTransition> transitions =
        [
            T(1, VmStatus.Down, VmStatus.PoweringUp, Now.AddMinutes(-3)),
            T(2, VmStatus.PoweringUp, VmStatus.Up, Now.AddMinutes(-3).AddSeconds(1)),
            T(3, VmStatus.Up, VmStatus.SavingState, Now.AddMinutes(-2)),
            T(4, VmStatus.SavingState, VmStatus.Up, Now.AddMinutes(-2).AddSeconds(0.5)),
        ];
        var cut = Render<VmStatusStrip>(p => p.Add(x => x.Transitions, transitions));
        Assert.Contains("Not recorded 23 h 57 min", cut.Find("[data-testid=vm-status-strip-legend]").TextContent);

        cut.Find("[data-testid=status-strip-window-recorded]").Click();

        Assert.Equal(["PoweringUp", "Up", "SavingState", "Up"], cut.FindAll("[data-testid=status-strip-segment]").Select(s => s.GetAttribute("data-status")));
        Assert.Equal([0.5556, 32.7778, 0.2778, 66.3889], cut.FindAll("[data-testid=status-strip-segment]").Select(s => Share(s.GetAttribute("style")!)));
        Assert.Equal("Status since the first recorded change, 2026-12-02 11:57:00 UTC: Up 2 min 58 s, Powering up 1 s, Saving state 0.5 s.",
            cut.Find("[role=img]").GetAttribute("aria-label"));
        Assert.Equal("2026-12-02 11:57:00 UTC (first recorded change) | 1.5 min ago | now",
            string.Join(" | ", cut.FindAll("[data-testid=status-strip-axis] span").Select(s => s.TextContent)));

        // The page gives the strip a new change: it stays on what the user picked.
        cut.Render(p => p.Add(x => x.Transitions, [.. transitions, T(5, VmStatus.Up, VmStatus.PoweringDown, Now.AddSeconds(-30))]));
        Assert.StartsWith("Status since the first recorded change", cut.Find("[role=img]").GetAttribute("aria-label"));
        Assert.Equal("PoweringDown", cut.FindAll("[data-testid=status-strip-segment]")[^1].GetAttribute("data-status"));
    }

    [Fact]
    public void Strip_HistoryStartingInsideTheWindow_TimeBeforeIsNotRecorded()
    {
        // The page loads the latest 200 transitions (and a new VM has none older): what came before is not known.
        var transitions = Enumerable.Range(0, 200)
            .Select(i => T(i + 1, i % 2 == 0 ? VmStatus.Down : VmStatus.Up, i % 2 == 0 ? VmStatus.Up : VmStatus.Down, Now.AddHours(-2).AddSeconds(i * 10)))
            .ToList();

        var cut = Render<VmTimeline>(p => p.Add(x => x.Transitions, transitions));

        var first = cut.FindAll("[data-testid=status-strip-segment]")[0];
        Assert.Equal("Unknown", first.GetAttribute("data-status"));
        Assert.Equal(22 / 24.0 * 100, Share(first.GetAttribute("style")!), 3);
        Assert.Contains("Not recorded 22 h 0 min", cut.Find("[data-testid=vm-status-strip-legend]").TextContent);
    }

    [Fact]
    public void Strip_NoTransitionInTheWindow_WholeStripIsTheLastStatus()
    {
        List<VmStatusTransition> transitions = [T(1, VmStatus.Down, VmStatus.Up, Now.AddDays(-3))];

        var cut = Render<VmTimeline>(p => p.Add(x => x.Transitions, transitions));

        var segment = Assert.Single(cut.FindAll("[data-testid=status-strip-segment]"));
        Assert.Equal("Up", segment.GetAttribute("data-status"));
        Assert.Equal(100, Share(segment.GetAttribute("style")!), 3);
    }

    [Fact]
    public void Strip_VmFirstSeenAnHourAgo_DoesNotAssumeTheStatusBefore()
    {
        // The first transition's "from" is the portal's default for a new row, not something it saw.
        List<VmStatusTransition> transitions = [T(1, VmStatus.Down, VmStatus.Up, Now.AddHours(-1))];

        var cut = Render<VmTimeline>(p => p.Add(x => x.Transitions, transitions));

        Assert.Equal(["Unknown", "Up"], cut.FindAll("[data-testid=status-strip-segment]").Select(s => s.GetAttribute("data-status")));
        Assert.DoesNotContain("Down", cut.Find("[data-testid=vm-status-strip-legend]").TextContent);
    }

    private static VmStatusTransition T(long id, VmStatus from, VmStatus to, DateTime at) => new() { Id = id, From = from, To = to, At = at };

    private static double Share(string style) =>
        Math.Round(double.Parse(Regex.Match(style, @"flex-basis:([\d.]+)%").Groups[1].Value, CultureInfo.InvariantCulture), 4);

    private sealed class FixedClock(DateTime now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => new(now);
    }
}
