using System.Globalization;

namespace Portal.Components.Pages.Shared;

/// <summary>Counts as the pages show them: thousands separated, whatever the server's culture ("5,007").</summary>
public static class Counts
{
    public static string Format(int n) => n.ToString("N0", CultureInfo.InvariantCulture);
}
