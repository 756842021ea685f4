using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Portal.Core.Persistence;

/// <summary>A small per-user setting the UI remembers (a grid's page size, say), keyed by user name and setting.</summary>
public class UserPreference
{
    public required string User { get; set; }
    public required string Key { get; set; }
    public required string Value { get; set; }
}

internal sealed class UserPreferenceConfiguration : IEntityTypeConfiguration<UserPreference>
{
    public void Configure(EntityTypeBuilder<UserPreference> b)
    {
        b.HasKey(x => new { x.User, x.Key });
        b.Property(x => x.User).HasMaxLength(256);
        b.Property(x => x.Key).HasMaxLength(100);
        b.Property(x => x.Value).HasMaxLength(1000);
    }
}

/// <summary>Reads and writes <see cref="UserPreference"/>s; one short query each.</summary>
public sealed class UserPreferences(IDbContextFactory<PortalDbContext> dbFactory)
{
    /// <summary>The grids' page sizes a user may choose.</summary>
    public static readonly int[] PageSizes = [10, 25, 50, 100];

    public async Task<string?> GetAsync(string user, string key, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.UserPreferences.Where(p => p.User == user && p.Key == key).Select(p => p.Value).FirstOrDefaultAsync(ct);
    }

    public async Task SetAsync(string user, string key, string value, CancellationToken ct = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(user);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var row = await db.UserPreferences.FirstOrDefaultAsync(p => p.User == user && p.Key == key, ct);
        if (row is null) db.UserPreferences.Add(new UserPreference { User = user, Key = key, Value = value });
        else row.Value = value;
        try { await db.SaveChangesAsync(ct); }
        catch (DbUpdateException) when (row is null)
        {
            // Another page of the same user saved it first: the later choice wins.
            await using var again = await dbFactory.CreateDbContextAsync(ct);
            await again.UserPreferences.Where(p => p.User == user && p.Key == key).ExecuteUpdateAsync(u => u.SetProperty(p => p.Value, value), ct);
        }
    }

    /// <summary>A grid's page size for the user: the stored one when it is still offered, otherwise <paramref name="fallback"/>.</summary>
    public async Task<int> PageSizeAsync(string? user, string grid, int fallback, CancellationToken ct = default)
    {
        if (string.IsNullOrEmpty(user)) return fallback;
        return int.TryParse(await GetAsync(user, $"pageSize:{grid}", ct), out var n) && PageSizes.Contains(n) ? n : fallback;
    }

    public Task SetPageSizeAsync(string? user, string grid, int size, CancellationToken ct = default) =>
        string.IsNullOrEmpty(user) || !PageSizes.Contains(size) ? Task.CompletedTask : SetAsync(user, $"pageSize:{grid}", size.ToString(System.Globalization.CultureInfo.InvariantCulture), ct);
}
