namespace Portal.Core;

/// <summary>
/// Whether start-up has finished connecting the configured host, reconciling the inventory with it and recovering the
/// operations a stopped portal left half-way. The portal listens (and serves pages from the database) before that;
/// <c>/healthz/ready</c> answers 503 with <see cref="Phase"/> until <see cref="IsReady"/>, and commands on a VM are
/// refused until its host is reconciled (<see cref="Hosts.HostConnectionInfo.Reconciled"/>).
/// </summary>
public sealed class PortalReadiness
{
    private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private volatile string _phase = "starting";

    /// <summary>What start-up is doing now ("reconciling the VMs of the hosts"); "ready" once done.</summary>
    public string Phase => _phase;

    public bool IsReady => _ready.Task.IsCompletedSuccessfully;

    /// <summary>Completes when start-up has finished; faults with its error when it failed.</summary>
    public Task WhenReady => _ready.Task;

    internal void Enter(string phase) => _phase = phase;

    internal void MarkReady()
    {
        _phase = "ready";
        _ready.TrySetResult();
    }

    internal void MarkFailed(Exception error)
    {
        _phase = "failed: " + error.Message;
        _ready.TrySetException(error);
    }
}
