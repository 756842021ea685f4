using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Portal.Core.Commands;

namespace Portal.Core.Persistence.Configurations;

internal sealed class OperationRecordConfiguration : IEntityTypeConfiguration<OperationRecord>
{
    public void Configure(EntityTypeBuilder<OperationRecord> b)
    {
        b.ToTable("OperationJournal");
        b.Property(x => x.Id).ValueGeneratedNever();
        b.Property(x => x.Kind).HasMaxLength(100);
        b.Property(x => x.VmName).HasMaxLength(200);
        b.Property(x => x.User).HasMaxLength(256);
        b.Property(x => x.Step).HasMaxLength(100);
        b.Property(x => x.Failures).HasMaxLength(4000);
        b.HasIndex(x => x.VmId);
    }
}
