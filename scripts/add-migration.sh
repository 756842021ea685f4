#!/usr/bin/env bash
# Adds an EF Core migration named $1 for both providers: SQLite (Persistence/Migrations, PortalDbContext) and
# PostgreSQL (Persistence/PostgresMigrations, PostgresPortalDbContext). Neither needs a running database.
set -euo pipefail
cd "$(dirname "$0")/.."
name=${1:?usage: scripts/add-migration.sh MigrationName}
dotnet tool restore >/dev/null
cd Portal.Core
dotnet ef migrations add "$name" --context PortalDbContext --output-dir Persistence/Migrations
dotnet ef migrations add "$name" --context PostgresPortalDbContext --output-dir Persistence/PostgresMigrations \
  --namespace Portal.Core.Persistence.PostgresMigrations --no-build
rm -f design.db
dotnet ef migrations has-pending-model-changes --context PortalDbContext
dotnet ef migrations has-pending-model-changes --context PostgresPortalDbContext --no-build
