using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Portal.Core.Snapshots;

namespace Portal.Core.Persistence.Configurations;

internal sealed class SnapshotConfiguration : IEntityTypeConfiguration<Snapshot>
{
    public void Configure(EntityTypeBuilder<Snapshot> b)
    {
        // The id is assigned in code (it names the libvirt snapshot before the row is saved). Never "generated":
        // otherwise a new snapshot added through vm.Snapshots, id already set, is taken for an existing row and UPDATEd.
        b.Property(x => x.Id).ValueGeneratedNever();
        b.Property(x => x.Description).HasMaxLength(Snapshot.MaxDescriptionLength);
        b.Property(x => x.Type).HasConversion<string>().HasMaxLength(20);
        b.Property(x => x.Status).HasConversion<string>().HasMaxLength(20);
        b.Property(x => x.HypervisorName).HasMaxLength(100);
        b.Ignore(x => x.HasMemory);
        // Restrict: a memory volume is removed by the reference count, never by a cascade.
        b.HasOne(x => x.MemoryVolume).WithMany().HasForeignKey(x => x.MemoryVolumeId).OnDelete(DeleteBehavior.Restrict);
        b.HasIndex(x => new { x.VmId, x.Type });
    }
}
