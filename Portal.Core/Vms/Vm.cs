using Portal.Core.Clusters;
using Portal.Core.Hosts;
using Portal.Core.Snapshots;

namespace Portal.Core.Vms;

public enum VmStatus
{
    Down, WaitForLaunch, PoweringUp, Up, Paused, SavingState, RestoringState, Suspended, PoweringDown, ImageLocked, NotResponding,
}

public class Vm
{
    /// <summary>The libvirt domain UUID.</summary>
    public Guid Id { get; set; }
    public required string Name { get; set; }
    public Guid ClusterId { get; set; }
    public Cluster? Cluster { get; set; }
    public Guid? HostId { get; set; }
    public Host? Host { get; set; }
    public int MemoryMiB { get; set; }
    public int VideoRamKiB { get; set; }
    public bool IsStateless { get; set; }
    public VmStatus Status { get; set; }
    public DateTime StatusSince { get; set; }
    public List<Snapshot> Snapshots { get; set; } = [];

    /// <summary>A VM that exists in the database but whose domain the host no longer has.</summary>
    public bool IsMissingOnHost { get; set; }

    public static bool IsRunning(VmStatus s) => s is VmStatus.Up or VmStatus.Paused or VmStatus.PoweringUp or VmStatus.RestoringState or VmStatus.SavingState or VmStatus.PoweringDown;
}

/// <summary>One status change, with its time: a test can read the sequence even when a state lasted milliseconds.</summary>
public class VmStatusTransition
{
    public long Id { get; set; }
    public Guid VmId { get; set; }
    public VmStatus From { get; set; }
    public VmStatus To { get; set; }
    public DateTime At { get; set; }
    public string? Reason { get; set; }
}
