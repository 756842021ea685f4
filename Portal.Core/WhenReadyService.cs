using Microsoft.Extensions.Hosting;

namespace Portal.Core;

/// <summary>
/// Background work that runs once, after start-up is done (<see cref="PortalReadiness"/>): a warm-up that the first
/// request would otherwise wait for. A start that failed, or a portal stopping first, runs nothing; a failure is
/// handed to <see cref="Failed"/> (the requests then read what they need themselves).
/// </summary>
public abstract class WhenReadyService(PortalReadiness readiness) : BackgroundService
{
    protected sealed override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try { await readiness.WhenReady.WaitAsync(stoppingToken); }
        catch (Exception) { return; } // stopping, or start-up failed (reported where it failed)
        try { await RunAsync(stoppingToken); }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested) { }
        catch (Exception ex) { Failed(ex); }
    }

    /// <summary>The work, once the portal is ready.</summary>
    protected abstract Task RunAsync(CancellationToken ct);

    /// <summary>The work failed: say so in the log.</summary>
    protected abstract void Failed(Exception error);
}
