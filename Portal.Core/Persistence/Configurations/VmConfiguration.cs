using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Portal.Core.Vms;

namespace Portal.Core.Persistence.Configurations;

internal sealed class VmConfiguration : IEntityTypeConfiguration<Vm>
{
    public void Configure(EntityTypeBuilder<Vm> b)
    {
        b.Property(x => x.Id).ValueGeneratedNever();
        b.Property(x => x.Name).HasMaxLength(200);
        b.HasIndex(x => x.Name).IsUnique();
        b.Property(x => x.Status).HasConversion<string>().HasMaxLength(30);
        // The VMs grid sorts and filters by status in the database, the name as the tie-break.
        b.HasIndex(x => new { x.Status, x.Name });
        b.HasOne(x => x.Cluster).WithMany().HasForeignKey(x => x.ClusterId).OnDelete(DeleteBehavior.Restrict);
        b.HasOne(x => x.Host).WithMany().HasForeignKey(x => x.HostId).OnDelete(DeleteBehavior.SetNull);
        b.HasMany(x => x.Snapshots).WithOne().HasForeignKey(x => x.VmId).OnDelete(DeleteBehavior.Cascade);
    }
}

internal sealed class VmStatusTransitionConfiguration : IEntityTypeConfiguration<VmStatusTransition>
{
    public void Configure(EntityTypeBuilder<VmStatusTransition> b)
    {
        b.Property(x => x.From).HasConversion<string>().HasMaxLength(30);
        b.Property(x => x.To).HasConversion<string>().HasMaxLength(30);
        b.Property(x => x.Reason).HasMaxLength(500);
        b.HasIndex(x => new { x.VmId, x.Id });
        b.HasOne<Vm>().WithMany().HasForeignKey(x => x.VmId).OnDelete(DeleteBehavior.Cascade);
    }
}
