using System.ComponentModel.DataAnnotations;

namespace Portal.Auth;

/// <summary>The "Security" configuration section: how sign-ins are throttled and how quickly revoked rights take effect.</summary>
public sealed class SecurityOptions
{
    public const string Section = "Security";

    /// <summary>
    /// How often an open page (a Blazor circuit) and the sign-in cookie are checked against the database: a deleted,
    /// locked-out or demoted user, or one whose password was reset, loses access within this time.
    /// </summary>
    /// <remarks>Default: 5 seconds. Environment: <c>Security__RevalidationInterval</c>.</remarks>
    [Range(typeof(TimeSpan), "00:00:00", "00:10:00")]
    public TimeSpan RevalidationInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Failed sign-ins (UI, Basic, token endpoint) one client address may make per minute before it gets 429.</summary>
    [Range(1, 100_000)]
    public int FailedSignInsPerAddressPerMinute { get; set; } = 30;

    /// <summary>Wrong passwords for one account from one address that block that account from that address.</summary>
    [Range(1, 1000)]
    public int LockoutFailures { get; set; } = 5;

    /// <summary>How long such a block lasts.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan LockoutDuration { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>How long a verified Basic user and password is remembered (so a client's next call does not hash it again); zero turns the cache off.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "01:00:00")]
    public TimeSpan BasicCacheDuration { get; set; } = TimeSpan.FromMinutes(1);
}
