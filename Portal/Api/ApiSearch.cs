using System.Globalization;
using Portal.Core.Search;

namespace Portal.Api;

/// <summary>
/// The query parameters oVirt's clients send to a collection: <c>search</c> (oVirt's search language, see
/// <see cref="SearchQuery"/>), <c>case_sensitive</c> (default true), <c>max</c>, and <c>all_content</c> (accepted:
/// representations are always complete). Anything the portal cannot search by is a 400 fault naming it.
/// </summary>
internal static class ApiSearch
{
    /// <param name="defaultMax">The <c>max</c> when none is given (events: 100); null for no limit.</param>
    /// <param name="maxLimit">The largest <c>max</c> honoured (events: 1000).</param>
    public static CollectionSearch<T> From<T>(HttpRequest request, SearchFields<T> fields, int? defaultMax = null, int maxLimit = int.MaxValue)
    {
        var max = Max(request, defaultMax, maxLimit);
        var caseSensitive = Flag(request, "case_sensitive") ?? true;
        _ = Flag(request, "all_content");
        try
        {
            return new CollectionSearch<T>(SearchQuery.Parse(request.Query["search"]), fields, caseSensitive, max).Validated();
        }
        catch (SearchException ex)
        {
            throw ApiFault.BadRequest(ex.Message);
        }
    }

    /// <summary>The <c>max</c> query parameter (at least 1), <paramref name="defaultMax"/> when absent, at most <paramref name="maxLimit"/>.</summary>
    public static int? Max(HttpRequest request, int? defaultMax = null, int maxLimit = int.MaxValue)
    {
        var max = defaultMax;
        if (request.Query.TryGetValue("max", out var maxText))
        {
            if (!int.TryParse(maxText, NumberStyles.None, CultureInfo.InvariantCulture, out var m) || m < 1)
                throw ApiFault.BadRequest($"max must be a whole number of at least 1, not '{maxText}'.");
            max = m;
        }
        return max is { } limit ? Math.Min(limit, maxLimit) : null;
    }

    /// <summary>
    /// oVirt's <c>from</c> on the events collection: only entries whose index is greater (indexes only grow), so a
    /// poller asks for what was written since the last one it saw. Null when absent.
    /// </summary>
    public static long? After(HttpRequest request)
    {
        if (!request.Query.TryGetValue("from", out var text)) return null;
        return long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var index)
            ? index
            : throw ApiFault.BadRequest($"from must be an event index (a whole number), not '{text}'.");
    }

    /// <summary>An xsd:boolean query parameter; null when absent.</summary>
    public static bool? Flag(HttpRequest request, string name)
    {
        if (!request.Query.TryGetValue(name, out var text)) return null;
        return text.ToString().Trim().ToLowerInvariant() switch
        {
            "true" or "1" or "" => true,
            "false" or "0" => false,
            _ => throw ApiFault.BadRequest($"{name} must be true or false, not '{text}'."),
        };
    }

    /// <summary>The names in <c>follow=</c> (comma-separated), each checked against what the collection can embed.</summary>
    public static IReadOnlySet<string> Follow(HttpRequest request, params string[] supported)
    {
        var wanted = request.Query["follow"].SelectMany(v => (v ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            .Select(v => v.ToLowerInvariant()).ToHashSet();
        foreach (var w in wanted)
            if (!supported.Contains(w))
                throw ApiFault.BadRequest($"Unsupported follow '{w}': only {string.Join(" and ", supported)} can be followed here.");
        return wanted;
    }
}
