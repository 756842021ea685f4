using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Portal.Core.Clusters;

namespace Portal.Core.Persistence.Configurations;

internal sealed class ClusterConfiguration : IEntityTypeConfiguration<Cluster>
{
    public void Configure(EntityTypeBuilder<Cluster> b)
    {
        // Ids are made by the portal (Guid.NewGuid), so an entity added through a navigation is new, not modified.
        b.Property(x => x.Id).ValueGeneratedNever();
        b.Property(x => x.Name).HasMaxLength(200);
        b.HasIndex(x => x.Name).IsUnique();
        b.Property(x => x.CompatibilityVersion).HasMaxLength(10);
        b.Ignore(x => x.Compatibility);
        b.Ignore(x => x.SupportsMemorySnapshots);
    }
}
