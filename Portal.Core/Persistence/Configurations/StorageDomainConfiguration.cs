using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Portal.Core.Storage;

namespace Portal.Core.Persistence.Configurations;

internal sealed class StorageDomainConfiguration : IEntityTypeConfiguration<StorageDomain>
{
    public void Configure(EntityTypeBuilder<StorageDomain> b)
    {
        b.Property(x => x.Name).HasMaxLength(200);
        b.HasIndex(x => x.Name).IsUnique();
        b.Property(x => x.PoolName).HasMaxLength(200);
        b.Property(x => x.Kind).HasConversion<string>().HasMaxLength(20);
        b.Property(x => x.Role).HasConversion<string>().HasMaxLength(20);
    }
}
