using System.Linq.Expressions;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.EntityFrameworkCore;

namespace Portal.Core.Search;

/// <summary>How a text pattern becomes part of a query: in the database (SQLite or another provider) or in memory.</summary>
public enum SearchDialect
{
    /// <summary>LINQ to objects: a compiled pattern.</summary>
    InMemory,

    /// <summary>SQLite: GLOB for case-sensitive patterns (LIKE ignores ASCII case there), LIKE on lower-cased text otherwise.</summary>
    Sqlite,

    /// <summary>Another relational provider: LIKE (case-sensitive, as in PostgreSQL), on lower-cased text when insensitive.</summary>
    Relational,
}

/// <summary>
/// The fields a collection can be searched and sorted by, each turned into an expression the database runs, so that a
/// search filters, sorts and pages where the rows are instead of loading them all.
/// </summary>
/// <param name="collection">Plural, for messages: "VMs", "events".</param>
public sealed class SearchFields<T>(string collection)
{
    private delegate Expression<Func<T, bool>> Builder(string value, bool caseSensitive, SearchDialect dialect);

    private readonly Dictionary<string, Builder> _filters = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<string, LambdaExpression> _sorts = new(StringComparer.OrdinalIgnoreCase);
    private readonly List<string> _names = [];

    public string Collection => collection;

    /// <summary>A text field: <c>*</c> matches any run of characters; case-sensitive unless the search says otherwise.</summary>
    public SearchFields<T> Text(string name, Expression<Func<T, string?>> field, bool sortable = false)
    {
        _filters[name] = (value, caseSensitive, dialect) => TextMatch(field, value, caseSensitive, dialect);
        _names.Add(name);
        if (sortable) _sorts[name] = field;
        return this;
    }

    /// <summary>
    /// A field with a fixed set of values (a status, a type): the value, or a pattern, is matched against the
    /// spellings case-insensitively, and the term becomes "one of these" in the query.
    /// </summary>
    public SearchFields<T> Choice<TValue>(string name, IReadOnlyDictionary<string, TValue> spellings, Func<IReadOnlyList<TValue>, Expression<Func<T, bool>>> oneOf)
    {
        _filters[name] = (value, _, _) =>
        {
            var matching = spellings.Where(s => SearchPattern.IsMatch(s.Key, value, caseSensitive: false)).Select(s => s.Value).Distinct().ToList();
            if (matching.Count == 0)
                throw new SearchException($"'{value}' is not a {name} of {collection}; use one of: {string.Join(", ", spellings.Keys)}.");
            return oneOf(matching);
        };
        _names.Add(name);
        return this;
    }

    /// <summary>A field sorts by this key (<c>sortby time</c>).</summary>
    public SearchFields<T> SortBy<TKey>(string name, Expression<Func<T, TKey>> key)
    {
        _sorts[name] = key;
        return this;
    }

    public Expression<Func<T, bool>> Filter(SearchTerm term, bool caseSensitive, SearchDialect dialect) =>
        _filters.TryGetValue(term.Field, out var build)
            ? build(term.Value, caseSensitive, dialect)
            : throw new SearchException($"Unsupported search term '{term.Text}': {collection} can be searched by {string.Join(", ", _names)}.");

    public LambdaExpression Sort(string field) =>
        _sorts.TryGetValue(field, out var key)
            ? key
            : throw new SearchException($"Unsupported sort 'sortby {field}': {collection} can be sorted by {string.Join(", ", _sorts.Keys)}.");

    private static Expression<Func<T, bool>> TextMatch(Expression<Func<T, string?>> field, string pattern, bool caseSensitive, SearchDialect dialect)
    {
        var body = field.Body;
        Expression match;
        if (dialect == SearchDialect.InMemory)
        {
            match = Expression.Call(typeof(SearchPattern).GetMethod(nameof(SearchPattern.IsMatch))!, body, Value(pattern), Expression.Constant(caseSensitive));
        }
        else if (!pattern.Contains('*'))
        {
            // No wildcard: equality, which every provider compares case-sensitively.
            match = caseSensitive
                ? Expression.Equal(body, Value(pattern))
                : Expression.Equal(Lower(body), Value(pattern.ToLowerInvariant()));
        }
        else if (caseSensitive && dialect == SearchDialect.Sqlite)
        {
            match = Expression.Call(typeof(SqliteDbFunctionsExtensions).GetMethod(nameof(SqliteDbFunctionsExtensions.Glob))!,
                Expression.Constant(EF.Functions), body, Value(SearchPattern.ToGlob(pattern)));
        }
        else
        {
            var like = typeof(DbFunctionsExtensions).GetMethod(nameof(DbFunctionsExtensions.Like), [typeof(DbFunctions), typeof(string), typeof(string), typeof(string)])!;
            match = caseSensitive
                ? Expression.Call(like, Expression.Constant(EF.Functions), body, Value(SearchPattern.ToLike(pattern)), Expression.Constant("\\"))
                : Expression.Call(like, Expression.Constant(EF.Functions), Lower(body), Value(SearchPattern.ToLike(pattern.ToLowerInvariant())), Expression.Constant("\\"));
        }
        return Expression.Lambda<Func<T, bool>>(match, field.Parameters);
    }

    private static Expression Lower(Expression text) => Expression.Call(text, typeof(string).GetMethod(nameof(string.ToLower), Type.EmptyTypes)!);

    /// <summary>A value the database receives as a parameter (a member of a closure), not as a literal in the SQL.</summary>
    private static Expression Value(string value) => Expression.Property(Expression.Constant(new Box(value)), nameof(Box.Value));

    private sealed class Box(string value)
    {
        public string Value { get; } = value;
    }
}

/// <summary>oVirt's patterns: <c>*</c> matches any run of characters, everything else is literal.</summary>
public static class SearchPattern
{
    public static bool IsMatch(string? value, string pattern, bool caseSensitive)
    {
        if (value is null) return false;
        if (!pattern.Contains('*')) return string.Equals(value, pattern, caseSensitive ? StringComparison.Ordinal : StringComparison.OrdinalIgnoreCase);
        var regex = "^" + string.Join(".*", pattern.Split('*').Select(Regex.Escape)) + "$";
        return Regex.IsMatch(value, regex, (caseSensitive ? RegexOptions.None : RegexOptions.IgnoreCase) | RegexOptions.Singleline | RegexOptions.CultureInvariant,
            TimeSpan.FromSeconds(1));
    }

    /// <summary>SQLite GLOB: <c>*</c> stays; <c>?</c> and <c>[</c> are made literal.</summary>
    public static string ToGlob(string pattern)
    {
        var glob = new StringBuilder(pattern.Length + 8);
        foreach (var c in pattern) glob.Append(c is '?' or '[' ? $"[{c}]" : c.ToString());
        return glob.ToString();
    }

    /// <summary>LIKE with <c>\</c> as escape: <c>*</c> becomes <c>%</c>; <c>%</c>, <c>_</c> and <c>\</c> are made literal.</summary>
    public static string ToLike(string pattern)
    {
        var like = new StringBuilder(pattern.Length + 8);
        foreach (var c in pattern) like.Append(c switch { '*' => "%", '%' or '_' or '\\' => "\\" + c, _ => c.ToString() });
        return like.ToString();
    }
}
