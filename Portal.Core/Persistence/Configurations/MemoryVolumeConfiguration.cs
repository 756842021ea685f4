using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Portal.Core.Storage;

namespace Portal.Core.Persistence.Configurations;

internal sealed class MemoryVolumeConfiguration : IEntityTypeConfiguration<MemoryVolume>
{
    public void Configure(EntityTypeBuilder<MemoryVolume> b)
    {
        // Ids are made by the portal (Guid.NewGuid), so an entity added through a navigation is new, not modified.
        b.Property(x => x.Id).ValueGeneratedNever();
        b.Property(x => x.DumpPath).HasMaxLength(4000);
        b.Property(x => x.ConfPath).HasMaxLength(4000);
        b.Property(x => x.DumpVolumeName).HasMaxLength(200);
        b.Property(x => x.ConfVolumeName).HasMaxLength(200);
        b.HasOne(x => x.StorageDomain).WithMany().HasForeignKey(x => x.StorageDomainId).OnDelete(DeleteBehavior.Restrict);
    }
}
