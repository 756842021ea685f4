using System.Collections.Concurrent;

namespace Portal.Api;

/// <summary>
/// Snapshots created through the API whose command has not ended yet. The row turns Ok a moment before the
/// command writes its audit entry and frees the VM's lock, so a client that polls until <c>ok</c> and then stops
/// the VM would be refused; until the command has ended, the API shows such a snapshot as locked, as oVirt does.
/// </summary>
public sealed class InFlightSnapshots
{
    private readonly ConcurrentDictionary<Guid, Task> _running = new();

    public void Track(Guid snapshotId, Task completion)
    {
        _running[snapshotId] = completion;
        completion.ContinueWith(_ => _running.TryRemove(snapshotId, out var _), TaskScheduler.Default);
    }

    public bool IsRunning(Guid snapshotId) => _running.TryGetValue(snapshotId, out var t) && !t.IsCompleted;
}
