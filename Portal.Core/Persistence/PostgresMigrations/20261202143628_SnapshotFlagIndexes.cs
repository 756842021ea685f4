using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Portal.Core.Persistence.PostgresMigrations
{
    /// <inheritdoc />
    public partial class SnapshotFlagIndexes : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_Snapshots_VmId_Type",
                table: "Snapshots");

            migrationBuilder.CreateIndex(
                name: "IX_Snapshots_VmId_Status",
                table: "Snapshots",
                columns: new[] { "VmId", "Status" });

            migrationBuilder.CreateIndex(
                name: "IX_Snapshots_VmId_Type_MemoryVolumeId",
                table: "Snapshots",
                columns: new[] { "VmId", "Type", "MemoryVolumeId" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_Snapshots_VmId_Status",
                table: "Snapshots");

            migrationBuilder.DropIndex(
                name: "IX_Snapshots_VmId_Type_MemoryVolumeId",
                table: "Snapshots");

            migrationBuilder.CreateIndex(
                name: "IX_Snapshots_VmId_Type",
                table: "Snapshots",
                columns: new[] { "VmId", "Type" });
        }
    }
}
