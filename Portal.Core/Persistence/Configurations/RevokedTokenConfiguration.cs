using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Portal.Core.Auth;

namespace Portal.Core.Persistence.Configurations;

internal sealed class RevokedTokenConfiguration : IEntityTypeConfiguration<RevokedToken>
{
    public void Configure(EntityTypeBuilder<RevokedToken> b)
    {
        b.HasKey(x => x.TokenHash);
        b.Property(x => x.TokenHash).HasMaxLength(64);
        b.HasIndex(x => x.ExpiresAt);
    }
}
