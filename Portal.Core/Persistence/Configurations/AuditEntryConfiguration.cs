using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Portal.Core.Audit;

namespace Portal.Core.Persistence.Configurations;

internal sealed class AuditEntryConfiguration : IEntityTypeConfiguration<AuditEntry>
{
    public void Configure(EntityTypeBuilder<AuditEntry> b)
    {
        b.Property(x => x.User).HasMaxLength(256);
        b.Property(x => x.VmName).HasMaxLength(200);
        b.Property(x => x.Operation).HasMaxLength(100);
        b.Property(x => x.Outcome).HasConversion<string>().HasMaxLength(20);
        b.Property(x => x.Message).HasMaxLength(Audit.AuditLog.MaxMessageLength);
        b.HasIndex(x => x.At);
        b.HasIndex(x => x.VmId);
        // The audit log's filters (AuditFilter): each with the id, the order a page is read in, so the newest matches
        // are one index range on PostgreSQL too (SQLite's rowid would give the order by itself).
        b.HasIndex(x => new { x.Outcome, x.Id });
        b.HasIndex(x => new { x.User, x.Id });
        b.HasIndex(x => new { x.VmName, x.Id });
        b.HasIndex(x => new { x.Operation, x.Id });
    }
}
