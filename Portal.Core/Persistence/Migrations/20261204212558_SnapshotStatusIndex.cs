using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Portal.Core.Persistence.Migrations
{
    /// <inheritdoc />
    public partial class SnapshotStatusIndex : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateIndex(
                name: "IX_Snapshots_Status",
                table: "Snapshots",
                column: "Status");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_Snapshots_Status",
                table: "Snapshots");
        }
    }
}
