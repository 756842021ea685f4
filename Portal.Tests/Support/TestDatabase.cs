using System.Security.Cryptography;
using System.Text;
using Npgsql;

namespace Portal.Tests.Support;

/// <summary>
/// Which database the tests' portals use. SQLite in the data folder by default; with
/// <c>PORTAL_TEST_POSTGRES</c> set to a connection string without a database (<c>Host=/tmp/portal-pg;Username=postgres</c>,
/// as <c>scripts/postgres.sh start</c> prints), every data folder gets its own PostgreSQL database, named after the
/// folder so that a restart on the same folder finds it again, and dropped with the folder.
/// </summary>
public static class TestDatabase
{
    public static string? Postgres => Environment.GetEnvironmentVariable("PORTAL_TEST_POSTGRES") is { Length: > 0 } cs ? cs : null;

    public static bool IsPostgres => Postgres is not null;

    /// <summary>The configuration that points a portal with this data folder at its database (none for SQLite).</summary>
    public static IReadOnlyDictionary<string, string?> SettingsFor(string dataDirectory) => Postgres is { } server
        ? new Dictionary<string, string?>
        {
            ["Database:Provider"] = "PostgreSQL",
            ["ConnectionStrings:Portal"] = ConnectionStringFor(server, dataDirectory),
        }
        : new Dictionary<string, string?>();

    private static string DatabaseName(string dataDirectory) =>
        "portal_t_" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(Path.GetFullPath(dataDirectory))))[..24];

    private static string ConnectionStringFor(string server, string dataDirectory) =>
        new NpgsqlConnectionStringBuilder(server) { Database = DatabaseName(dataDirectory) }.ConnectionString;

    /// <summary>Drops the folder's PostgreSQL database, closing whatever connections still use it.</summary>
    public static void Drop(string dataDirectory)
    {
        if (Postgres is not { } server) return;
        NpgsqlConnection.ClearAllPools();
        using var c = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(server) { Database = "postgres", Pooling = false }.ConnectionString);
        c.Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = $"DROP DATABASE IF EXISTS \"{DatabaseName(dataDirectory)}\" WITH (FORCE)";
        cmd.ExecuteNonQuery();
    }
}
