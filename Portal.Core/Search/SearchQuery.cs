using System.Globalization;
using System.Text;

namespace Portal.Core.Search;

/// <summary>A search the portal cannot run; the message names the term, and the API answers it with 400.</summary>
public sealed class SearchException(string message) : Exception(message);

/// <summary>A condition of a search: a term, or two conditions joined by and / or.</summary>
public abstract record SearchCondition;

/// <summary><c>name=web*</c>: a field, the operator and the value as the user wrote it (quotes removed).</summary>
public sealed record SearchTerm(string Field, string Value, string Text) : SearchCondition;

public sealed record SearchAnd(SearchCondition Left, SearchCondition Right) : SearchCondition;

public sealed record SearchOr(SearchCondition Left, SearchCondition Right) : SearchCondition;

/// <summary>
/// oVirt's search language as far as its users use it: <c>name=web* and status=up or cluster=Legacy sortby name desc page 2</c>.
/// Terms compare a field with <c>=</c> (<c>*</c> is a wildcard, quotes allow spaces); <c>and</c> binds tighter than
/// <c>or</c>, and two terms side by side mean <c>and</c>, as in oVirt. Anything else (other operators, parentheses, an
/// unknown keyword) is refused with a <see cref="SearchException"/> naming it, never ignored.
/// </summary>
/// <param name="Condition">Null when the search only sorts or pages.</param>
/// <param name="SortBy">The field of <c>sortby</c>, lower case; null keeps the collection's own order.</param>
/// <param name="Page">1-based page of <c>page N</c>; null for none.</param>
public sealed record SearchQuery(SearchCondition? Condition, string? SortBy, bool Descending, int? Page)
{
    public static readonly SearchQuery Empty = new(null, null, false, null);

    public static SearchQuery Parse(string? text)
    {
        if (string.IsNullOrWhiteSpace(text)) return Empty;
        if (text.Length > 2000) throw new SearchException("The search is longer than 2000 characters.");
        return new Parser(Tokenize(text)).Query();
    }

    private enum Kind { Word, Quoted, Operator }

    private sealed record Token(Kind Kind, string Text)
    {
        public bool Is(string keyword) => Kind == Kind.Word && Text.Equals(keyword, StringComparison.OrdinalIgnoreCase);
    }

    private static List<Token> Tokenize(string text)
    {
        var tokens = new List<Token>();
        var i = 0;
        while (i < text.Length)
        {
            var c = text[i];
            if (char.IsWhiteSpace(c)) { i++; continue; }
            if (c == '"')
            {
                var end = text.IndexOf('"', i + 1);
                if (end < 0) throw new SearchException($"The quote opened at position {i + 1} of the search is never closed.");
                tokens.Add(new Token(Kind.Quoted, text[(i + 1)..end]));
                i = end + 1;
                continue;
            }
            if (c is '=' or '!' or '<' or '>')
            {
                var op = i + 1 < text.Length && text[i + 1] == '=' ? text.Substring(i, 2) : c.ToString();
                tokens.Add(new Token(Kind.Operator, op));
                i += op.Length;
                continue;
            }
            var start = i;
            while (i < text.Length && !char.IsWhiteSpace(text[i]) && text[i] is not ('=' or '!' or '<' or '>' or '"')) i++;
            tokens.Add(new Token(Kind.Word, text[start..i]));
        }
        return tokens;
    }

    private sealed class Parser(List<Token> tokens)
    {
        private int _at;

        private Token? Peek => _at < tokens.Count ? tokens[_at] : null;

        private bool AtClauseEnd => Peek is null || Peek.Is("sortby") || Peek.Is("page");

        public SearchQuery Query()
        {
            var condition = AtClauseEnd ? null : Or();
            string? sortBy = null;
            var descending = false;
            int? page = null;
            if (Peek?.Is("sortby") == true)
            {
                _at++;
                var field = Peek is { Kind: Kind.Word } f && !f.Is("page") ? f.Text : throw new SearchException("'sortby' must be followed by a field, e.g. 'sortby name'.");
                _at++;
                sortBy = field.ToLowerInvariant();
                if (Peek?.Is("desc") == true) { descending = true; _at++; }
                else if (Peek?.Is("asc") == true) _at++;
            }
            if (Peek?.Is("page") == true)
            {
                _at++;
                if (Peek is not { Kind: Kind.Word } n || !int.TryParse(n.Text, NumberStyles.None, CultureInfo.InvariantCulture, out var p) || p < 1)
                    throw new SearchException("'page' must be followed by a page number of at least 1, e.g. 'page 2'.");
                page = p;
                _at++;
            }
            if (Peek is { } extra) throw new SearchException($"Unsupported search syntax at '{Describe(extra)}'{Rest()}.");
            return new SearchQuery(condition, sortBy, descending, page);
        }

        private SearchCondition Or()
        {
            var left = And();
            while (Peek?.Is("or") == true)
            {
                _at++;
                left = new SearchOr(left, And());
            }
            return left;
        }

        private SearchCondition And()
        {
            SearchCondition left = Term();
            while (!AtClauseEnd && !Peek!.Is("or"))
            {
                if (Peek.Is("and")) _at++;
                left = new SearchAnd(left, Term());
            }
            return left;
        }

        private SearchTerm Term()
        {
            var field = Peek ?? throw new SearchException("The search ends where a term (e.g. name=web*) was expected.");
            if (field.Kind != Kind.Word || field.Is("and") || field.Is("or") || field.Is("sortby") || field.Is("page"))
                throw new SearchException($"A term (e.g. name=web*) was expected at '{Describe(field)}'.");
            _at++;
            var op = Peek;
            if (op is not { Kind: Kind.Operator })
                throw new SearchException($"Unsupported search term '{field.Text}': write field=value, e.g. name={field.Text}.");
            _at++;
            var value = Peek is { Kind: Kind.Word or Kind.Quoted } v && !(v.Kind == Kind.Word && (v.Is("and") || v.Is("or") || v.Is("sortby") || v.Is("page")))
                ? v : throw new SearchException($"The search term '{field.Text}{op.Text}' has no value.");
            _at++;
            var text = $"{field.Text}{op.Text}{(value.Kind == Kind.Quoted ? $"\"{value.Text}\"" : value.Text)}";
            if (op.Text != "=") throw new SearchException($"Unsupported operator '{op.Text}' in the search term '{text}': only '=' is supported.");
            return new SearchTerm(field.Text.ToLowerInvariant(), value.Text, text);
        }

        private static string Describe(Token t) => t.Kind == Kind.Quoted ? $"\"{t.Text}\"" : t.Text;

        private string Rest()
        {
            var rest = new StringBuilder();
            for (var i = _at + 1; i < tokens.Count && i < _at + 4; i++) rest.Append(' ').Append(Describe(tokens[i]));
            return rest.Length == 0 ? "" : $" (followed by '{rest.ToString().Trim()}')";
        }
    }
}
