using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Portal.Core.Persistence;

public enum DatabaseProvider { Sqlite, PostgreSQL }

/// <summary>The "Database" configuration section; the connection itself is <c>ConnectionStrings:Portal</c>.</summary>
public sealed class DatabaseOptions
{
    public const string Section = "Database";

    /// <summary><c>Sqlite</c> (the embedded default: <c>portal.db</c> in the data folder) or <c>PostgreSQL</c>.</summary>
    /// <remarks>Default: Sqlite. With PostgreSQL, <c>ConnectionStrings:Portal</c> is required (Npgsql's form:
    /// <c>Host=…;Database=portal;Username=…;Password=…</c>).</remarks>
    public DatabaseProvider Provider { get; set; } = DatabaseProvider.Sqlite;
}

/// <summary>Registers the portal's context factory for the configured provider.</summary>
public static class PortalDatabase
{
    /// <summary>How the portal names the database in messages: the SQLite file, or PostgreSQL's host and database.</summary>
    public static string Describe(DatabaseProvider provider, string connectionString)
    {
        if (provider == DatabaseProvider.Sqlite) return new SqliteConnectionStringBuilder(connectionString).DataSource;
        var b = new NpgsqlConnectionStringBuilder(connectionString);
        return $"{b.Database ?? b.Username} on {b.Host}";
    }

    public static void Configure(DbContextOptionsBuilder o, DatabaseProvider provider, string connectionString)
    {
        if (provider == DatabaseProvider.PostgreSQL) o.UseNpgsql(connectionString);
        else o.UseSqlite(connectionString);
    }

    /// <summary>
    /// <see cref="IDbContextFactory{PortalDbContext}"/> (and a scoped <see cref="PortalDbContext"/> for Identity's stores).
    /// On PostgreSQL the factory makes <see cref="PostgresPortalDbContext"/>s, so its own migrations apply.
    /// </summary>
    /// <remarks>
    /// Contexts are pooled (EF Core's <see cref="PooledDbContextFactory{TContext}"/>): a new context builds its set of
    /// internal services, which was a sixth of the time of a small API request that opens a few contexts; a pooled one
    /// is reset when disposed and handed out again. Nothing in the portal keeps state on a context beyond its use.
    /// </remarks>
    public static IServiceCollection AddPortalDbContext(this IServiceCollection services)
    {
        services.AddSingleton<IDbContextFactory<PortalDbContext>>(sp =>
        {
            var connection = sp.GetRequiredService<PortalConnection>();
            if (connection.DatabaseProvider == DatabaseProvider.PostgreSQL)
            {
                var options = new DbContextOptionsBuilder<PostgresPortalDbContext>().UseNpgsql(connection.DatabaseConnectionString).Options;
                var pool = new PooledDbContextFactory<PostgresPortalDbContext>(options);
                return new Factory(pool.CreateDbContext);
            }
            var sqlite = new DbContextOptionsBuilder<PortalDbContext>().UseSqlite(connection.DatabaseConnectionString).Options;
            return new PooledDbContextFactory<PortalDbContext>(sqlite);
        });
        services.AddScoped(sp => sp.GetRequiredService<IDbContextFactory<PortalDbContext>>().CreateDbContext());
        return services;
    }

    private sealed class Factory(Func<PortalDbContext> create) : IDbContextFactory<PortalDbContext>
    {
        public PortalDbContext CreateDbContext() => create();
    }
}
