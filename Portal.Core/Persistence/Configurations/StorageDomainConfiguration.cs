using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Portal.Core.Storage;

namespace Portal.Core.Persistence.Configurations;

internal sealed class StorageDomainConfiguration : IEntityTypeConfiguration<StorageDomain>
{
    public void Configure(EntityTypeBuilder<StorageDomain> b)
    {
        // Ids are made by the portal (Guid.NewGuid), so an entity added through a navigation is new, not modified.
        b.Property(x => x.Id).ValueGeneratedNever();
        b.Property(x => x.Name).HasMaxLength(200);
        b.HasIndex(x => x.Name).IsUnique();
        b.Property(x => x.PoolName).HasMaxLength(200);
        b.Property(x => x.Kind).HasConversion<string>().HasMaxLength(20);
        b.Property(x => x.Role).HasConversion<string>().HasMaxLength(20);
    }
}
