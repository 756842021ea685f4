using Microsoft.EntityFrameworkCore;

namespace Portal.Core.Persistence;

/// <summary>
/// The same model on PostgreSQL. A subclass only so that its migrations (Persistence/PostgresMigrations, generated for
/// Npgsql's column types) are found apart from SQLite's: EF Core matches migrations to the context type.
/// Every query and command still sees a <see cref="PortalDbContext"/>.
/// New migration for both providers: <c>scripts/add-migration.sh NAME</c>.
/// </summary>
public sealed class PostgresPortalDbContext(DbContextOptions<PostgresPortalDbContext> options) : PortalDbContext(options);
