using System.Text.RegularExpressions;

namespace Portal.E2E.RealHost;

/// <summary>What the busybox guest printed, as the portal's Console tab shows it.</summary>
public sealed partial record GuestLine(int Counter, string BootId);

public static partial class GuestConsole
{
    [GeneratedRegex(@"COUNTER (\d+) boot_id=([0-9a-f-]{36})")]
    private static partial Regex CounterPattern();

    [GeneratedRegex(@"GUEST-BOOTED boot_id=([0-9a-f-]{36})")]
    private static partial Regex BootPattern();

    public static IReadOnlyList<GuestLine> Counters(string text) =>
        CounterPattern().Matches(text).Select(m => new GuestLine(int.Parse(m.Groups[1].Value), m.Groups[2].Value)).ToList();

    public static IReadOnlyList<string> Boots(string text) => BootPattern().Matches(text).Select(m => m.Groups[1].Value).ToList();
}
