namespace Portal.Core.Hypervisor;

/// <summary>
/// The one boundary between the portal and a host. Commands and the monitor talk to this; only
/// <c>Portal.Core/Libvirt</c> implements it over libvirt.so.0. Every method may block on the network or the
/// hypervisor, so every method is asynchronous and runs its native work off the caller's thread.
/// </summary>
public interface IHypervisor
{
    /// <summary>The libvirt URI this connection was opened with.</summary>
    string Uri { get; }

    /// <summary>True for libvirt's in-process test driver, which writes no memory files.</summary>
    bool IsTestDriver { get; }

    /// <summary>Raised on the libvirt event-loop thread for each domain lifecycle event. Handlers must not block.</summary>
    event Action<DomainLifecycleEvent>? LifecycleEvent;

    /// <summary>
    /// Raised on the libvirt event-loop thread when the other side closed the connection (end of file, keepalive timeout,
    /// I/O error), with the reason. Never raised for <see cref="IDisposable.Dispose"/>. Handlers must not block.
    /// </summary>
    event Action<string>? ConnectionClosed;

    Task<bool> IsAliveAsync(CancellationToken ct = default);
    Task<IReadOnlyList<DomainInfo>> ListDomainsAsync(CancellationToken ct = default);
    Task<DomainInfo?> FindDomainAsync(Guid id, CancellationToken ct = default);
    Task<string> GetDomainXmlAsync(Guid id, bool inactive, CancellationToken ct = default);
    Task<DomainInfo> DefineDomainAsync(string xml, CancellationToken ct = default);
    Task UndefineDomainAsync(Guid id, CancellationToken ct = default);

    /// <summary>Boots the domain from its disks (a fresh boot).</summary>
    Task StartAsync(Guid id, CancellationToken ct = default);
    Task DestroyAsync(Guid id, CancellationToken ct = default);
    Task ShutdownAsync(Guid id, CancellationToken ct = default);
    Task SuspendAsync(Guid id, CancellationToken ct = default);
    Task ResumeAsync(Guid id, CancellationToken ct = default);

    /// <summary>
    /// Takes a live or offline snapshot named <paramref name="request"/>.Name. When a memory target is given the
    /// guest's memory is written to it (libvirt pauses the guest while it does).
    /// </summary>
    Task CreateSnapshotAsync(Guid id, SnapshotRequest request, CancellationToken ct = default);

    /// <summary>Removes the hypervisor's record of a snapshot. Memory volumes are removed separately.</summary>
    Task DeleteSnapshotAsync(Guid id, string name, CancellationToken ct = default);

    /// <summary>
    /// Re-creates the hypervisor's record of a snapshot from its saved XML (libvirt's REDEFINE): after an import, or
    /// when the embedded test driver starts empty again.
    /// </summary>
    Task RedefineSnapshotAsync(Guid id, string snapshotXml, CancellationToken ct = default);

    Task<IReadOnlyList<string>> ListSnapshotNamesAsync(Guid id, CancellationToken ct = default);
    Task<string?> GetSnapshotXmlAsync(Guid id, string name, CancellationToken ct = default);

    /// <summary>
    /// Starts the domain from a saved memory dump and leaves it PAUSED, so the caller can show RestoringState
    /// until it calls <see cref="ResumeAsync"/>.
    /// </summary>
    Task RestoreFromMemoryAsync(Guid id, MemoryRestoreRequest request, CancellationToken ct = default);

    /// <summary>
    /// The configuration with every file disk moved onto a new, empty qcow2 overlay of the image it names, so that a
    /// VM previewing or restoring a snapshot never writes into the snapshot's own images. The test driver has no
    /// disk images and returns the configuration unchanged.
    /// </summary>
    Task<string> WithFreshOverlaysAsync(string configurationXml, string tag, CancellationToken ct = default);

    /// <summary>
    /// Deletes each of <paramref name="candidates"/> that is a disk overlay the portal made (see
    /// <see cref="WithFreshOverlaysAsync"/> and snapshots) and that is neither in <paramref name="inUse"/> nor a
    /// backing file of one of them, found by following each image's backing chain on the host. Base images and
    /// anything outside a storage pool are never touched. Returns the paths deleted.
    /// </summary>
    Task<IReadOnlyList<string>> DeleteUnusedOverlaysAsync(IReadOnlyCollection<string> candidates, IReadOnlyCollection<string> inUse, CancellationToken ct = default);

    Task<PoolInfo> GetPoolAsync(string pool, CancellationToken ct = default);

    /// <summary>Creates a raw volume of <paramref name="bytes"/> bytes and returns its path.</summary>
    Task<string> CreateVolumeAsync(string pool, string name, long bytes, CancellationToken ct = default);
    Task<bool> DeleteVolumeAsync(string pool, string name, CancellationToken ct = default);

    /// <summary>
    /// Copies a volume into another pool (libvirt's virStorageVolCreateXMLFrom), returning the new volume's path.
    /// <paramref name="preallocateBytes"/> sizes the copy when the target cannot grow (block storage).
    /// </summary>
    Task<string> CopyVolumeAsync(string sourcePool, string sourceName, string targetPool, string targetName, long preallocateBytes, CancellationToken ct = default);
    Task<string?> FindVolumePathAsync(string pool, string name, CancellationToken ct = default);
}

public enum DomainRunState { NoState = 0, Running = 1, Blocked = 2, Paused = 3, ShuttingDown = 4, ShutOff = 5, Crashed = 6, PmSuspended = 7 }

public enum DomainEventKind { Defined = 0, Undefined = 1, Started = 2, Suspended = 3, Resumed = 4, Stopped = 5, Shutdown = 6, PmSuspended = 7, Crashed = 8 }

public sealed record DomainInfo(Guid Id, string Name, DomainRunState State, int Reason);

public sealed record DomainLifecycleEvent(Guid DomainId, string DomainName, DomainEventKind Kind, int Detail, DateTimeOffset At)
{
    /// <summary>The portal's host whose connection raised the event; null from a connection no host owns yet.</summary>
    public Guid? HostId { get; init; }
}

/// <summary>A snapshot to take. <paramref name="MemoryFile"/> null means disks (and config) only.</summary>
/// <param name="Progress">Told the dump's progress (0..1) from libvirt's job info while memory is written.</param>
/// <param name="InactiveXml">The domain's inactive XML when the caller has just read it, so it is not read twice; null reads it.</param>
public sealed record SnapshotRequest(string Name, string Description, string? MemoryFile, IProgress<double>? Progress = null, string? InactiveXml = null);

/// <summary>Where a memory dump lives, and the configuration the VM had when it was taken.</summary>
public sealed record MemoryRestoreRequest(string DumpPath, string ConfigurationXml);

public sealed record PoolInfo(string Name, long CapacityBytes, long AllocationBytes, long AvailableBytes, string? TargetPath);

/// <summary>A failed libvirt call, carrying libvirt's own message.</summary>
public class HypervisorException(string operation, string libvirtMessage)
    : Exception($"{operation} failed: {libvirtMessage}")
{
    public string Operation { get; } = operation;
    public string LibvirtMessage { get; } = libvirtMessage;
}

/// <summary>
/// A call about a domain whose host has no live connection now: nothing reached libvirt. <see cref="HypervisorException.LibvirtMessage"/>
/// is the sentence users see ("Host X is not connected: …").
/// </summary>
public sealed class HostNotConnectedException(Guid hostId, string reason) : HypervisorException("Reaching the host", reason)
{
    public Guid HostId { get; } = hostId;
}
