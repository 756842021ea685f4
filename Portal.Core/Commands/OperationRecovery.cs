using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Portal.Core.Audit;
using Portal.Core.Auth;
using Portal.Core.Hosts;
using Portal.Core.Persistence;
using Portal.Core.Vms;

namespace Portal.Core.Commands;

/// <summary>
/// Finishes or undoes the operations the journal says were interrupted (oVirt's compensation at start): at start,
/// when a host connects again, and every <see cref="Interval"/> for what a host refused before. Each row is handled by
/// the command that wrote it, under that command's lock, when its host is connected; each recovery is audited as
/// "recovered after restart". Rows of runs under way in this process are left alone.
/// </summary>
public sealed partial class OperationRecovery(
    IServiceProvider services, IDbContextFactory<PortalDbContext> dbFactory, CommandServices commands, HostConnections hosts,
    AuditLog audit, PortalNotifier notifier, TimeProvider clock, ILogger<OperationRecovery> log) : BackgroundService
{
    private readonly SemaphoreSlim _pass = new(1, 1);

    /// <remarks>Default: one minute.</remarks>
    public TimeSpan Interval { get; init; } = TimeSpan.FromMinutes(1);

    /// <summary>One pass over every interrupted operation whose host is connected; returns how many were settled.</summary>
    public async Task<int> RecoverAsync(CancellationToken ct = default)
    {
        await _pass.WaitAsync(ct);
        try { return await RecoverOnceAsync(ct); }
        finally { _pass.Release(); }
    }

    private async Task<int> RecoverOnceAsync(CancellationToken ct)
    {
        List<OperationRecord> rows;
        await using (var db = await dbFactory.CreateDbContextAsync(ct))
            rows = await db.OperationJournal.AsNoTracking().OrderBy(r => r.StartedAt).ToListAsync(ct);
        var byKind = services.GetServices<IRecoverableCommand>().ToDictionary(c => c.Operation);
        var settled = 0;
        foreach (var read in rows)
        {
            if (commands.Running.ContainsKey(read.Id)) continue;
            // A run of this process that ended since the rows were read has deleted its row before it left Running, or
            // kept it for its cleanups with what it did since: the row is read again, now that no run writes it.
            if (await ReadAgainAsync(read.Id, ct) is not { } row) continue;
            var host = row.HostId is { } h ? hosts.Find(h) : hosts.PrimaryId is { } p ? hosts.Find(p) : null;
            if (host is not null && host.State != HostState.Connected) continue; // recovered when it connects
            if (!byKind.TryGetValue(row.Kind, out var command))
            {
                LogUnknownKind(log, row.Kind, row.Id);
                continue;
            }
            RecoveryOutcome? outcome;
            try { outcome = await command.RecoverAsync(row, ct); }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                LogRecoveryFailed(log, row.Kind, row.VmName, ex);
                continue;
            }
            if (outcome is null) continue; // its lock is held: the next pass
            settled++;
            var subject = row.VmName is null ? "" : $" on VM {row.VmName}";
            var message = $"{row.Kind}{subject} (started by {row.User} at {row.StartedAt:u}, interrupted at step '{row.Step}') was recovered after restart: {outcome.Message}." +
                          (outcome.Failures.Count == 0 ? "" : $" Still to do, retried when the host answers: {string.Join("; ", outcome.Failures)}.");
            await audit.WriteAsync(Actor.System.UserName, row.VmId, row.VmName, row.Kind,
                outcome.Failures.Count > 0 ? AuditOutcome.Failure : outcome.Finished ? AuditOutcome.Success : AuditOutcome.Warning, message);
            LogRecovered(log, row.Kind, row.VmName, outcome.Message);
        }
        return settled;
    }

    private async Task<OperationRecord?> ReadAgainAsync(Guid id, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.OperationJournal.AsNoTracking().FirstOrDefaultAsync(r => r.Id == id, ct);
    }

    private IDisposable? _subscription;
    private readonly CancellationTokenSource _stopping = new();

    /// <summary>
    /// Subscribes before the hosts connect (HostConnections starts before ExecuteAsync would run): a host that connects
    /// at start is the moment its interrupted operations can be recovered.
    /// </summary>
    public override Task StartAsync(CancellationToken cancellationToken)
    {
        _subscription = notifier.Subscribe(e =>
        {
            if (e is HostStateChanged { State: HostState.Connected })
                _ = Task.Run(async () =>
                {
                    try { await RecoverAsync(_stopping.Token); }
                    catch (OperationCanceledException) { }
                    catch (Exception ex) { LogPassFailed(log, ex.Message); }
                }, CancellationToken.None);
        });
        return base.StartAsync(cancellationToken);
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        _subscription?.Dispose();
        await _stopping.CancelAsync();
        await base.StopAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Interval, clock);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                try { await RecoverAsync(stoppingToken); }
                catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested) { return; }
                catch (Exception ex) { LogPassFailed(log, ex.Message); }
            }
        }
        catch (OperationCanceledException) { }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Operation} on VM {VmName} was recovered after restart: {Outcome}")]
    private static partial void LogRecovered(ILogger log, string operation, string? vmName, string outcome);

    [LoggerMessage(Level = LogLevel.Error, Message = "Recovering the interrupted {Operation} on VM {VmName} failed")]
    private static partial void LogRecoveryFailed(ILogger log, string operation, string? vmName, Exception ex);

    [LoggerMessage(Level = LogLevel.Error, Message = "The journal holds an operation of unknown kind {Kind} ({Id}); it is left for a portal that knows it")]
    private static partial void LogUnknownKind(ILogger log, string kind, Guid id);

    [LoggerMessage(Level = LogLevel.Warning, Message = "A recovery pass failed: {Error}")]
    private static partial void LogPassFailed(ILogger log, string error);
}
