using System.ComponentModel.DataAnnotations;

namespace Portal.Core.Hosts;

/// <summary>The "Hosts" configuration section: how the portal keeps its host connections alive.</summary>
public sealed class HostConnectionOptions
{
    public const string Section = "Hosts";

    /// <summary>How often every connected host is checked (libvirt's virConnectIsAlive) and a disconnected one is tried again when its back-off allows.</summary>
    /// <remarks>Default: 5 seconds. Environment: <c>Hosts__CheckInterval=00:00:05</c>.</remarks>
    [Range(typeof(TimeSpan), "00:00:00.010", "00:10:00")]
    public TimeSpan CheckInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// How long adding a host waits for its first connection, and after which an attempt is shown as failed (libvirt may
    /// still be trying: a host that drops packets can take minutes to refuse; a late success still connects).
    /// </summary>
    /// <remarks>Default: 15 seconds.</remarks>
    [Range(typeof(TimeSpan), "00:00:00.010", "00:10:00")]
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>The wait before trying again after a failed attempt; it doubles with each failure up to <see cref="RetryMax"/>.</summary>
    /// <remarks>Default: 5 seconds. A connection that was lost is tried again at the next check.</remarks>
    [Range(typeof(TimeSpan), "00:00:00.010", "01:00:00")]
    public TimeSpan RetryMin { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>The longest wait between two attempts to reach a host that stays unreachable.</summary>
    /// <remarks>Default: 2 minutes.</remarks>
    [Range(typeof(TimeSpan), "00:00:00.010", "01:00:00")]
    public TimeSpan RetryMax { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>libvirt keepalive on remote connections: a probe every interval (whole seconds)…</summary>
    /// <remarks>Default: 5 seconds.</remarks>
    [Range(typeof(TimeSpan), "00:00:01", "00:10:00")]
    public TimeSpan KeepAliveInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>…and the connection is closed after this many unanswered probes (so about interval × (count + 1)).</summary>
    /// <remarks>Default: 3.</remarks>
    [Range(1, 100)]
    public int KeepAliveCount { get; set; } = 3;
}
