using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Portal.Core.Clusters;

namespace Portal.Core.Persistence.Configurations;

internal sealed class ClusterConfiguration : IEntityTypeConfiguration<Cluster>
{
    public void Configure(EntityTypeBuilder<Cluster> b)
    {
        b.Property(x => x.Name).HasMaxLength(200);
        b.HasIndex(x => x.Name).IsUnique();
        b.Property(x => x.CompatibilityVersion).HasMaxLength(10);
        b.Ignore(x => x.Compatibility);
        b.Ignore(x => x.SupportsMemorySnapshots);
    }
}
