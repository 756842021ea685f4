using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Portal.Core.Clusters;
using Portal.Core.Persistence;
using Portal.Core.Search;
using Portal.Core.Vms;

namespace Portal.Tests.Search;

/// <summary>oVirt's search language: parsing, and the same search in SQLite and in memory.</summary>
public sealed class SearchQueryTests : IAsyncLifetime
{
    private readonly SqliteConnection _connection = new("Data Source=:memory:");
    private PortalDbContext _db = null!;

    private static readonly string[] Names = ["web-frontend", "Web-Backend", "db_primary", "db%cache", "legacy[1]", "legacy?2", "kiosk"];

    public async ValueTask InitializeAsync()
    {
        await _connection.OpenAsync(TestContext.Current.CancellationToken);
        _db = new PortalDbContext(new DbContextOptionsBuilder<PortalDbContext>().UseSqlite(_connection).Options);
        await _db.Database.MigrateAsync(TestContext.Current.CancellationToken);
        var cluster = new Cluster { Name = "Production", CompatibilityVersion = "4.7" };
        _db.Clusters.Add(cluster);
        foreach (var (name, i) in Names.Select((n, i) => (n, i)))
            _db.Vms.Add(new Vm { Id = Guid.NewGuid(), Name = name, ClusterId = cluster.Id, Status = i % 2 == 0 ? VmStatus.Up : VmStatus.Down });
        await _db.SaveChangesAsync(TestContext.Current.CancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        await _db.DisposeAsync();
        await _connection.DisposeAsync();
    }

    private static CollectionSearch<Vm> Vms(string search, bool caseSensitive = true, int? max = null) =>
        new CollectionSearch<Vm>(SearchQuery.Parse(search), PortalSearches.Vms, caseSensitive, max).Validated();

    /// <summary>The names the database returns, checked against the same search run in memory.</summary>
    private async Task<List<string>> RunAsync(CollectionSearch<Vm> search)
    {
        var inDb = await search.ApplyTo(_db.Vms.AsNoTracking().Include(v => v.Cluster), v => v.Name, false, SearchDialect.Sqlite)
            .Select(v => v.Name).ToListAsync(TestContext.Current.CancellationToken);
        var all = await _db.Vms.AsNoTracking().Include(v => v.Cluster).ToListAsync(TestContext.Current.CancellationToken);
        var inMemory = search.ApplyTo(all.AsQueryable(), v => v.Name, false, SearchDialect.InMemory).Select(v => v.Name).ToList();
        // Orders differ (SQLite compares bytes, LINQ to objects the culture); the rows must not.
        Assert.Equal(inMemory.Order(StringComparer.Ordinal), inDb.Order(StringComparer.Ordinal));
        return inDb;
    }

    [Fact]
    public void Parse_AndBindsTighterThanOr_WithSortAndPage()
    {
        var q = SearchQuery.Parse("name=a* and status=up OR cluster=\"My Cluster\" SortBy Name DESC page 3");

        var or = Assert.IsType<SearchOr>(q.Condition);
        var and = Assert.IsType<SearchAnd>(or.Left);
        Assert.Equal(new SearchTerm("name", "a*", "name=a*"), and.Left);
        Assert.Equal(new SearchTerm("cluster", "My Cluster", "cluster=\"My Cluster\""), or.Right);
        Assert.Equal("name", q.SortBy);
        Assert.True(q.Descending);
        Assert.Equal(3, q.Page);
    }

    [Theory]
    [InlineData("name", "name")]
    [InlineData("name=", "has no value")]
    [InlineData("name=a or", "term")]
    [InlineData("name<=a", "'<='")]
    [InlineData("sortby", "sortby")]
    [InlineData("page -1", "page")]
    [InlineData("name=a sortby name up", "up")]
    public void Parse_Malformed_ThrowsNamingThePlace(string text, string named)
    {
        var ex = Assert.Throws<SearchException>(() => SearchQuery.Parse(text));
        Assert.Contains(named, ex.Message);
    }

    [Fact]
    public void Validated_UnknownField_NamesTheTermAndTheFieldsThatExist()
    {
        var ex = Assert.Throws<SearchException>(() => Vms("name=a and memory=2"));
        Assert.Contains("'memory=2'", ex.Message);
        Assert.Contains("name, status, cluster, host", ex.Message);
    }

    [Fact]
    public async Task Search_Wildcards_AreTheOnlySpecialCharacters()
    {
        Assert.Equal(["db%cache", "db_primary"], await RunAsync(Vms("name=db*")));
        Assert.Equal(["db%cache"], await RunAsync(Vms("name=db%*")));
        Assert.Equal(["db_primary"], await RunAsync(Vms("name=db_*")));
        Assert.Equal(["legacy[1]"], await RunAsync(Vms("name=legacy[*")));
        Assert.Equal(["legacy?2"], await RunAsync(Vms("name=*?2")));
        Assert.Empty(await RunAsync(Vms("name=db")));
    }

    [Fact]
    public async Task Search_CaseSensitiveByDefault_InsensitiveOnRequest()
    {
        Assert.Equal(["web-frontend"], await RunAsync(Vms("name=web*")));
        Assert.Equal(["Web-Backend", "web-frontend"], await RunAsync(Vms("name=web*", caseSensitive: false)));
        Assert.Equal(["Web-Backend"], await RunAsync(Vms("name=WEB-backend", caseSensitive: false)));
        Assert.Empty(await RunAsync(Vms("name=WEB-backend")));
    }

    [Fact]
    public async Task Search_StatusSortAndPaging_RunInTheDatabase()
    {
        var search = Vms("status=up or name=kiosk sortby name desc page 2", max: 2);

        var inDb = await search.ApplyTo(_db.Vms.AsNoTracking(), v => v.Name, false, SearchDialect.Sqlite).Select(v => v.Name)
            .ToListAsync(TestContext.Current.CancellationToken);
        Assert.Equal(["kiosk", "db_primary"], inDb);
        var sql = search.ApplyTo(_db.Vms.AsNoTracking(), v => v.Name, false, SearchDialect.Sqlite).ToQueryString();
        Assert.Contains("WHERE", sql);
        Assert.Contains("ORDER BY \"v\".\"Name\" DESC", sql);
        Assert.Contains("LIMIT", sql);
        Assert.Contains("OFFSET", sql);
    }

    [Fact]
    public void Search_Patterns_BecomeGlobOrLikeInSql()
    {
        string Sql(string s, bool caseSensitive) =>
            Vms(s, caseSensitive).ApplyTo(_db.Vms.AsNoTracking().Include(v => v.Cluster), v => v.Name, false, SearchDialect.Sqlite).ToQueryString();

        Assert.Contains("GLOB", Sql("name=web*", caseSensitive: true));
        Assert.Contains("LIKE", Sql("cluster=prod*", caseSensitive: false));
        Assert.Contains("lower(", Sql("cluster=prod*", caseSensitive: false));
        // The pattern is a parameter, not a literal in the statement.
        Assert.DoesNotContain(Sql("name=web*", caseSensitive: true).Split('\n'), line => !line.StartsWith(".param") && line.Contains("web"));
    }
}
