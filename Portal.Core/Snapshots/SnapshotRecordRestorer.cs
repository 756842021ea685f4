using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Portal.Core.Hypervisor;
using Portal.Core.Persistence;

namespace Portal.Core.Snapshots;

/// <summary>
/// Gives a host back the records of the portal's snapshots it may have lost, so that memory saved before can still be
/// restored: the embedded test driver started from a node file without them, a libvirtd that reconnected, a VM defined
/// again by another client. The inventory hands over the VMs to check (<see cref="Pend"/>) and they are checked in the
/// background, one VM at a time: each check is a query and a libvirt call per VM with snapshots (at 1,000 VMs with 10
/// snapshots each ~0.45 s on the embedded host), so the start and the reconcile no longer wait for it. A snapshot call
/// about a VM still to be checked (<see cref="Hosts.RoutingHypervisor"/>) checks that VM first, or waits for its check.
/// </summary>
public sealed partial class SnapshotRecordRestorer(IDbContextFactory<PortalDbContext> dbFactory, ILogger<SnapshotRecordRestorer> log) : IDisposable
{
    /// <summary>A VM to check on the connection of the host that has it; <see cref="Check"/> is its one check.</summary>
    private sealed class Pending(IHypervisor host)
    {
        public IHypervisor Host { get; } = host;
        public Task? Check { get; set; }
    }

    /// <summary>Above this many VMs to check, one walk of the snapshot table finds those with host records.</summary>
    internal const int WalkAbove = 32;

    private readonly ConcurrentDictionary<Guid, Pending> _pending = new();
    private readonly Lock _gate = new();
    private readonly CancellationTokenSource _stopping = new();
    private Task _draining = Task.CompletedTask;
    private int _callsWaiting;

    /// <summary>How many VMs are still to be checked (or to be found to have no snapshot with a host record).</summary>
    public int PendingCount => _pending.Count;

    /// <summary>How many snapshot calls are waiting, in <see cref="EnsureAsync"/>, for their VM's check.</summary>
    public int CallsWaiting => Volatile.Read(ref _callsWaiting);

    /// <summary>
    /// The VMs to check on <paramref name="host"/> (its connection). A VM already waiting is checked on this connection
    /// instead (a host that reconnected).
    /// </summary>
    public void Pend(IHypervisor host, IReadOnlyCollection<Guid> vms)
    {
        if (vms.Count == 0) return;
        foreach (var vm in vms) _pending[vm] = new Pending(host);
        lock (_gate)
            if (_draining.IsCompleted) _draining = Task.Run(DrainAsync);
    }

    /// <summary>Completes once every VM handed over so far has been checked (or the portal stops).</summary>
    public Task WhenIdleAsync()
    {
        lock (_gate) return _draining;
    }

    /// <summary>Before a snapshot call about <paramref name="vm"/>: its records are given back first if it is still to be checked.</summary>
    public Task EnsureAsync(Guid vm, CancellationToken ct = default) =>
        _pending.TryGetValue(vm, out var pending) ? WaitForCheckAsync(vm, pending, ct) : Task.CompletedTask;

    private async Task WaitForCheckAsync(Guid vm, Pending pending, CancellationToken ct)
    {
        Interlocked.Increment(ref _callsWaiting);
        try { await CheckAsync(vm, pending).WaitAsync(ct); }
        finally { Interlocked.Decrement(ref _callsWaiting); }
    }

    private Task CheckAsync(Guid vm, Pending pending)
    {
        lock (pending) return pending.Check ??= Task.Run(() => RunCheckAsync(vm, pending));
    }

    private async Task DrainAsync()
    {
        var watch = Stopwatch.StartNew();
        var checkedVms = 0;
        while (true)
        {
            // Most VMs have no snapshot with a host record: one walk of the snapshot table finds those that have (at
            // 5,000 VMs, a query per VM on the thread pool slowed the rest of the start by ~0.1 s). A few VMs (one
            // defined again by another client) are each asked for their own: the walk reads every snapshot row.
            var withRecords = _pending.Count > WalkAbove ? await VmsWithRecordsAsync() : null;
            foreach (var (vm, pending) in _pending.ToArray())
            {
                if (_stopping.IsCancellationRequested) return;
                if (withRecords?.Contains(vm) == false)
                {
                    _pending.TryRemove(KeyValuePair.Create(vm, pending));
                    continue;
                }
                await CheckAsync(vm, pending);
                checkedVms++;
            }
            lock (_gate)
            {
                // Pend adds before it looks at _draining under this lock: anything added by now is seen here.
                if (_pending.IsEmpty || _stopping.IsCancellationRequested)
                {
                    LogDrained(log, checkedVms, watch.ElapsedMilliseconds);
                    return;
                }
            }
        }
    }

    /// <summary>The VMs with a snapshot that has a host record; null when the database could not say (each VM is checked).</summary>
    private async Task<HashSet<Guid>?> VmsWithRecordsAsync()
    {
        try
        {
            await using var db = await dbFactory.CreateDbContextAsync(_stopping.Token);
            return (await db.Snapshots.Where(s => s.HypervisorName != null && s.HypervisorXml != null).Select(s => s.VmId).Distinct()
                .ToListAsync(_stopping.Token)).ToHashSet();
        }
        catch (OperationCanceledException) when (_stopping.IsCancellationRequested) { return null; }
        catch (Exception ex)
        {
            LogRecordsUnreadable(log, ex.Message);
            return null;
        }
    }

    private async Task RunCheckAsync(Guid vm, Pending pending)
    {
        var ct = _stopping.Token;
        try { await RestoreAsync(vm, pending.Host, ct); }
        catch (HypervisorException ex) { LogCheckFailed(log, vm, ex.LibvirtMessage); }
        catch (OperationCanceledException) when (ct.IsCancellationRequested) { }
        // Whatever else failed (the database): the VM's snapshot calls go on, as they would have without the check.
        catch (Exception ex) { LogCheckFailed(log, vm, ex.Message); }
        finally { _pending.TryRemove(KeyValuePair.Create(vm, pending)); }
    }

    /// <summary>The VM's snapshots that have a host record, oldest first; those the host lacks are defined again.</summary>
    private async Task RestoreAsync(Guid vm, IHypervisor host, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var wanted = await db.Snapshots.AsNoTracking()
            .Where(s => s.VmId == vm && s.HypervisorName != null && s.HypervisorXml != null)
            .OrderBy(s => s.CreatedAt)
            .Select(s => new { s.Id, Name = s.HypervisorName!, s.Description })
            .ToListAsync(ct);
        if (wanted.Count == 0) return;
        var present = (await host.ListSnapshotNamesAsync(vm, ct)).ToHashSet();
        var missing = wanted.Where(s => !present.Contains(s.Name)).ToList();
        if (missing.Count == 0) return;
        var vmName = await db.Vms.Where(v => v.Id == vm).Select(v => v.Name).FirstOrDefaultAsync(ct) ?? vm.ToString();
        foreach (var s in missing)
        {
            try
            {
                var xml = await db.Snapshots.Where(x => x.Id == s.Id).Select(x => x.HypervisorXml).FirstOrDefaultAsync(ct);
                if (xml is null) continue;
                await host.RedefineSnapshotAsync(vm, xml, ct);
                LogRedefined(log, s.Description, vmName);
            }
            catch (HypervisorException ex) { LogRedefineFailed(log, s.Description, vmName, ex.LibvirtMessage); }
        }
    }

    // Not disposed: a check still running reads its token.
    public void Dispose() => _stopping.Cancel();

    [LoggerMessage(Level = LogLevel.Information, Message = "Snapshot '{Snapshot}' of {VmName} re-created on the host")]
    private static partial void LogRedefined(ILogger log, string snapshot, string vmName);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Snapshot '{Snapshot}' of {VmName} could not be re-created on the host: {Error}")]
    private static partial void LogRedefineFailed(ILogger log, string snapshot, string vmName, string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The snapshot records of VM {VmId} could not be checked on its host: {Error}")]
    private static partial void LogCheckFailed(ILogger log, Guid vmId, string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Which VMs have snapshot records could not be read ({Error}); each VM waiting is checked")]
    private static partial void LogRecordsUnreadable(ILogger log, string error);

    [LoggerMessage(Level = LogLevel.Information, Message = "Snapshot records of {Count} VMs checked with their hosts in {Ms} ms")]
    private static partial void LogDrained(ILogger log, int count, long ms);
}
