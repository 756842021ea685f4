using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Portal.Core.Persistence.Migrations
{
    /// <summary>
    /// Block storage domains: memory volumes keep the names libvirt gave them (a disk pool names partitions itself),
    /// and a domain remembers whether the portal created its pool.
    /// </summary>
    public partial class BlockStorage : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<bool>(
                name: "PoolCreatedByPortal",
                table: "StorageDomains",
                type: "INTEGER",
                nullable: false,
                defaultValue: false);

            migrationBuilder.AddColumn<string>(
                name: "ConfVolumeName",
                table: "MemoryVolumes",
                type: "TEXT",
                maxLength: 200,
                nullable: false,
                defaultValue: "");

            migrationBuilder.AddColumn<string>(
                name: "DumpVolumeName",
                table: "MemoryVolumes",
                type: "TEXT",
                maxLength: 200,
                nullable: false,
                defaultValue: "");

            // Until now every volume was named by its GUID, as Guid.ToString() writes it; SQLite holds GUIDs in upper case.
            migrationBuilder.Sql("UPDATE MemoryVolumes SET DumpVolumeName = lower(DumpVolumeId), ConfVolumeName = lower(ConfVolumeId);");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "PoolCreatedByPortal",
                table: "StorageDomains");

            migrationBuilder.DropColumn(
                name: "ConfVolumeName",
                table: "MemoryVolumes");

            migrationBuilder.DropColumn(
                name: "DumpVolumeName",
                table: "MemoryVolumes");
        }
    }
}
