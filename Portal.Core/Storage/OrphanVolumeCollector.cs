using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Portal.Core.Audit;
using Portal.Core.Auth;
using Portal.Core.Persistence;
using Portal.Core.Vms;

namespace Portal.Core.Storage;

/// <summary>
/// Removes memory volumes that no snapshot holds any more, once start-up is done (<see cref="PortalReadiness"/>) and then every
/// <see cref="Interval"/>: the half-written dump of a snapshot whose host died mid-way is deleted as soon as the
/// host answers again, and each removal is audited.
/// </summary>
public sealed partial class OrphanVolumeCollector(
    IDbContextFactory<PortalDbContext> dbFactory, MemoryVolumeStore store, AuditLog audit, PortalNotifier notifier, TimeProvider clock,
    PortalReadiness readiness, ILogger<OrphanVolumeCollector> log) : BackgroundService
{
    private readonly SemaphoreSlim _pass = new(1, 1);

    /// <remarks>Default: one minute.</remarks>
    public TimeSpan Interval { get; init; } = TimeSpan.FromMinutes(1);

    /// <summary>One pass; returns how many volumes went.</summary>
    public async Task<int> CollectAsync(CancellationToken ct)
    {
        await _pass.WaitAsync(ct);
        try { return await CollectOnceAsync(ct); }
        finally { _pass.Release(); }
    }

    private async Task<int> CollectOnceAsync(CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var removed = await store.CollectOrphansAsync(db, ct);
        foreach (var mv in removed)
            await audit.WriteAsync(Actor.System.UserName, null, null, Audit.AuditOperations.RemoveMemoryVolume, AuditOutcome.Success,
                $"Memory volume {mv.Id} ({mv.SizeBytes >> 20} MiB on {mv.StorageDomain?.Name}), left by an operation that could not finish, was removed.");
        return removed.Count;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // A stop (SIGTERM) at any point, even in the middle of a pass or before the first one, ends the loop quietly:
        // nothing escapes for the host to report as a crashed BackgroundService.
        try { await RunAsync(stoppingToken); }
        catch (Exception ex) when (stoppingToken.IsCancellationRequested)
        {
            if (ex is not OperationCanceledException) LogStoppedDuringPass(log, ex.Message);
        }
    }

    private async Task RunAsync(CancellationToken stoppingToken)
    {
        // A host that connects again is the moment a dump it could not delete can go: do not wait for the timer.
        using var subscription = notifier.Subscribe(e =>
        {
            if (e is Hosts.HostStateChanged { State: Hosts.HostState.Connected } && !stoppingToken.IsCancellationRequested)
                _ = Task.Run(async () =>
                {
                    try { await CollectAsync(stoppingToken); }
                    catch (Exception ex) when (ex is not OperationCanceledException && !stoppingToken.IsCancellationRequested) { LogPassFailed(log, ex.Message); }
                    catch (Exception) when (stoppingToken.IsCancellationRequested) { }
                }, CancellationToken.None);
        });
        // The portal serves before start-up has connected the host and recovered interrupted operations: a pass now
        // could not remove anything from the host, and recovery may still give a volume back to its snapshot.
        try { await readiness.WhenReady.WaitAsync(stoppingToken); }
        catch (Exception ex) when (ex is not OperationCanceledException) { return; } // start-up failed: the portal is stopping
        using var timer = new PeriodicTimer(Interval, clock);
        do
        {
            try { await CollectAsync(stoppingToken); }
            catch (Exception) when (stoppingToken.IsCancellationRequested) { return; }
            catch (Exception ex) { LogPassFailed(log, ex.Message); } // the next pass tries again
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "A collection of orphan memory volumes was interrupted by the stop: {Error}")]
    private static partial void LogStoppedDuringPass(ILogger log, string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Collecting orphan memory volumes failed: {Error}")]
    private static partial void LogPassFailed(ILogger log, string error);
}
