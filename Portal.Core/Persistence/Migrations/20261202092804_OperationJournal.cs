using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Portal.Core.Persistence.Migrations
{
    /// <inheritdoc />
    public partial class OperationJournal : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<bool>(
                name: "IsMissingOnHost",
                table: "MemoryVolumes",
                type: "INTEGER",
                nullable: false,
                defaultValue: false);

            migrationBuilder.CreateTable(
                name: "OperationJournal",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "TEXT", nullable: false),
                    Kind = table.Column<string>(type: "TEXT", maxLength: 100, nullable: false),
                    VmId = table.Column<Guid>(type: "TEXT", nullable: true),
                    VmName = table.Column<string>(type: "TEXT", maxLength: 200, nullable: true),
                    HostId = table.Column<Guid>(type: "TEXT", nullable: true),
                    User = table.Column<string>(type: "TEXT", maxLength: 256, nullable: false),
                    StartedAt = table.Column<DateTime>(type: "TEXT", nullable: false),
                    UpdatedAt = table.Column<DateTime>(type: "TEXT", nullable: false),
                    Step = table.Column<string>(type: "TEXT", maxLength: 100, nullable: false),
                    Committed = table.Column<bool>(type: "INTEGER", nullable: false),
                    RequestJson = table.Column<string>(type: "TEXT", nullable: false),
                    StateJson = table.Column<string>(type: "TEXT", nullable: false),
                    UndoJson = table.Column<string>(type: "TEXT", nullable: false),
                    ForwardJson = table.Column<string>(type: "TEXT", nullable: false),
                    Failures = table.Column<string>(type: "TEXT", maxLength: 4000, nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_OperationJournal", x => x.Id);
                });

            migrationBuilder.CreateIndex(
                name: "IX_OperationJournal_VmId",
                table: "OperationJournal",
                column: "VmId");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "OperationJournal");

            migrationBuilder.DropColumn(
                name: "IsMissingOnHost",
                table: "MemoryVolumes");
        }
    }
}
