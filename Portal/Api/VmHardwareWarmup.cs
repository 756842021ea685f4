using System.Diagnostics;
using Portal.Core;
using Portal.Core.Search;

namespace Portal.Api;

/// <summary>
/// Once start-up is done, reads every VM's hardware into <see cref="VmHardwareCache"/> in the background, so that the
/// first <c>GET /vms</c> after a start does not wait for a read of every domain (5,007 VMs on the test driver: that
/// first call took 0.81–0.98 s before, 0.29–0.39 s now; benchmarks/README.md). A start that failed has nothing to read.
/// </summary>
public sealed partial class VmHardwareWarmup(PortalReadiness readiness, PortalQueries queries, VmHardwareCache cache, ILogger<VmHardwareWarmup> log)
    : WhenReadyService(readiness)
{
    protected override async Task RunAsync(CancellationToken ct)
    {
        var started = Stopwatch.GetTimestamp();
        var all = new CollectionSearch<Core.Vms.Vm>(SearchQuery.Parse(null), PortalSearches.Vms, CaseSensitive: true, Max: null).Validated();
        var vms = await queries.SearchVmsAsync(all, ct);
        var read = await cache.WarmAsync(vms, ct);
        LogWarmed(log, read, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
    }

    protected override void Failed(Exception error) => LogFailed(log, error);

    [LoggerMessage(Level = LogLevel.Information, Message = "Hardware of {Count} VMs read from their hosts in {Milliseconds:F0} ms")]
    private static partial void LogWarmed(ILogger log, int count, double milliseconds);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Reading the VMs' hardware after start failed; each request reads what it needs")]
    private static partial void LogFailed(ILogger log, Exception ex);
}
