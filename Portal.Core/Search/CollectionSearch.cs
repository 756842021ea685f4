using System.Linq.Expressions;
using Microsoft.EntityFrameworkCore;

namespace Portal.Core.Search;

/// <summary>
/// One search of one collection, ready to apply to a query: the parsed <see cref="SearchQuery"/>, the collection's
/// fields, <c>case_sensitive</c> and <c>max</c>. Filter, sort and page all become part of the query, so the database
/// does the work; the same search runs in memory over a list (<see cref="SearchDialect.InMemory"/>).
/// </summary>
/// <param name="CaseSensitive">oVirt's default is true.</param>
/// <param name="Max">At most this many results (oVirt's <c>max</c>); with <c>page N</c> it is the page size.</param>
public sealed record CollectionSearch<T>(SearchQuery Query, SearchFields<T> Fields, bool CaseSensitive = true, int? Max = null)
{
    /// <summary>The page size when <c>page N</c> comes without <c>max</c>: oVirt's default search page size.</summary>
    public const int DefaultPageSize = 100;

    /// <summary>Checks every term and the sort now, so an unsupported one is refused before anything runs.</summary>
    public CollectionSearch<T> Validated()
    {
        _ = Where(SearchDialect.InMemory);
        if (Query.SortBy is { } sort) Fields.Sort(sort);
        return this;
    }

    /// <param name="defaultOrder">The collection's own order, used when the search has no <c>sortby</c> (and as the tie-break).</param>
    public IQueryable<T> ApplyTo<TKey>(IQueryable<T> source, Expression<Func<T, TKey>> defaultOrder, bool defaultDescending, SearchDialect dialect)
    {
        var query = Where(dialect) is { } filter ? source.Where(filter) : source;
        IOrderedQueryable<T> ordered;
        if (Query.SortBy is { } sort)
        {
            ordered = OrderBy(query, Fields.Sort(sort), Query.Descending, first: true);
            ordered = defaultDescending ? ordered.ThenByDescending(defaultOrder) : ordered.ThenBy(defaultOrder);
        }
        else ordered = defaultDescending ? query.OrderByDescending(defaultOrder) : query.OrderBy(defaultOrder);

        query = ordered;
        var size = Max ?? (Query.Page is null ? null : DefaultPageSize);
        if (Query.Page is { } page && size is { } s) query = query.Skip((int)Math.Min(int.MaxValue, (page - 1L) * s));
        if (size is { } take) query = query.Take(take);
        return query;
    }

    /// <summary>The dialect of the context's provider.</summary>
    public static SearchDialect DialectOf(DbContext db) =>
        db.Database.ProviderName?.Contains("Sqlite", StringComparison.OrdinalIgnoreCase) == true ? SearchDialect.Sqlite : SearchDialect.Relational;

    private Expression<Func<T, bool>>? Where(SearchDialect dialect) => Query.Condition is { } c ? Build(c, dialect) : null;

    private Expression<Func<T, bool>> Build(SearchCondition condition, SearchDialect dialect) => condition switch
    {
        SearchTerm t => Fields.Filter(t, CaseSensitive, dialect),
        SearchAnd a => Combine(Build(a.Left, dialect), Build(a.Right, dialect), Expression.AndAlso),
        SearchOr o => Combine(Build(o.Left, dialect), Build(o.Right, dialect), Expression.OrElse),
        _ => throw new SearchException("Unsupported search condition."),
    };

    private static Expression<Func<T, bool>> Combine(Expression<Func<T, bool>> left, Expression<Func<T, bool>> right,
        Func<Expression, Expression, BinaryExpression> join)
    {
        var p = left.Parameters[0];
        return Expression.Lambda<Func<T, bool>>(join(left.Body, new Rebind(right.Parameters[0], p).Visit(right.Body)), p);
    }

    private static IOrderedQueryable<T> OrderBy(IQueryable<T> query, LambdaExpression key, bool descending, bool first)
    {
        var method = (first, descending) switch
        {
            (true, false) => nameof(Queryable.OrderBy),
            (true, true) => nameof(Queryable.OrderByDescending),
            (false, false) => nameof(Queryable.ThenBy),
            _ => nameof(Queryable.ThenByDescending),
        };
        var call = Expression.Call(typeof(Queryable), method, [typeof(T), key.ReturnType], query.Expression, Expression.Quote(key));
        return (IOrderedQueryable<T>)query.Provider.CreateQuery<T>(call);
    }

    private sealed class Rebind(ParameterExpression from, ParameterExpression to) : ExpressionVisitor
    {
        protected override Expression VisitParameter(ParameterExpression node) => node == from ? to : base.VisitParameter(node);
    }
}
