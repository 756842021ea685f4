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
    /// guest's memory is written to it (libvirt pauses the guest while it does). Returns what the caller reads next,
    /// read on the call's own thread as soon as the snapshot exists: asked for separately, the same reads took
    /// 3–9 ms more on a real host, on the path between a create request and its reply.
    /// </summary>
    Task<SnapshotTaken> CreateSnapshotAsync(Guid id, SnapshotRequest request, CancellationToken ct = default);

    /// <summary>Removes the hypervisor's record of a snapshot. Memory volumes are removed separately.</summary>
    Task DeleteSnapshotAsync(Guid id, string name, CancellationToken ct = default);

    /// <summary>
    /// Re-creates the hypervisor's record of a snapshot from its saved XML (libvirt's REDEFINE): after an import, or
    /// when the embedded test driver starts empty again.
    /// </summary>
    Task RedefineSnapshotAsync(Guid id, string snapshotXml, CancellationToken ct = default);

    Task<IReadOnlyList<string>> ListSnapshotNamesAsync(Guid id, CancellationToken ct = default);

    /// <summary>
    /// Waits until no job (a memory dump, a restore) runs on the domain any more: a daemon finishes a job its client
    /// died during, and recovery must not decide about the snapshot before it has. Returns at once when the domain
    /// does not exist, and on the test driver, whose calls finish before they return.
    /// </summary>
    Task WaitForJobAsync(Guid id, CancellationToken ct = default);
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

    /// <summary>The pool's size, free space, type and directory, refreshed from the host first.</summary>
    Task<PoolInfo> GetPoolAsync(string pool, CancellationToken ct = default);

    /// <summary>Every storage pool the host knows, active or not.</summary>
    Task<IReadOnlyList<PoolInfo>> ListPoolsAsync(CancellationToken ct = default);

    /// <summary>
    /// Defines a persistent pool from <paramref name="poolXml"/>, builds it (a directory is made, a device gets its
    /// partition table, a volume group is created on its devices), starts it and marks it autostart. A device that
    /// already holds data is refused unless <paramref name="overwrite"/> is set. On failure nothing stays defined.
    /// </summary>
    Task<PoolInfo> CreatePoolAsync(string poolXml, bool overwrite, CancellationToken ct = default);

    /// <summary>Stops the pool and forgets its definition. No volume, file or partition is deleted.</summary>
    Task RemovePoolAsync(string pool, CancellationToken ct = default);

    /// <summary>Starts a defined pool that is not running (no-op when it runs).</summary>
    Task StartPoolAsync(string pool, CancellationToken ct = default);

    /// <summary>
    /// Creates a volume of <paramref name="bytes"/> bytes. <paramref name="name"/> is what the caller asks for; a pool
    /// that names its volumes itself (a <c>disk</c> pool names partitions after its device) gives the volume its own
    /// name, so callers keep the returned <see cref="VolumeRef"/>. <paramref name="preallocate"/> allocates every byte
    /// now: block storage cannot grow later (a logical volume would otherwise be a thin snapshot).
    /// </summary>
    Task<VolumeRef> CreateVolumeAsync(string pool, string name, long bytes, bool preallocate, CancellationToken ct = default);
    Task<bool> DeleteVolumeAsync(string pool, string name, CancellationToken ct = default);

    /// <summary>The names of the pool's volumes, after a refresh.</summary>
    Task<IReadOnlyList<string>> ListVolumeNamesAsync(string pool, CancellationToken ct = default);

    /// <summary>
    /// Copies a volume into another pool (libvirt's virStorageVolCreateXMLFrom). <paramref name="preallocateBytes"/>
    /// sizes and fully allocates the copy when the target cannot grow (block storage); 0 copies sparsely at the
    /// source's size. <paramref name="format"/> qcow2 makes a self-contained image: libvirt converts a qcow2 overlay
    /// through its whole backing chain, so the copy has no backing file. A block target always holds raw data.
    /// </summary>
    Task<VolumeRef> CopyVolumeAsync(string sourcePool, string sourceName, string targetPool, string targetName, long preallocateBytes,
        VolumeFormat format = VolumeFormat.Raw, CancellationToken ct = default);
    Task<string?> FindVolumePathAsync(string pool, string name, CancellationToken ct = default);

    /// <summary>
    /// Reads a file of the host through the active storage pool whose folder holds it (libvirt's
    /// virStorageVolDownload): how a file of a remote host reaches the portal. Reads from <paramref name="offset"/> to
    /// the end, or only the last <paramref name="maxBytes"/> when more has been written since; from the start when the
    /// file is now shorter than <paramref name="offset"/> (written anew). Null when no active pool's folder is the file's
    /// folder; nothing read, of length 0, when one is and the file is not there (yet).
    /// </summary>
    Task<PoolFileRead?> ReadPoolFileAsync(string path, long offset, int maxBytes, CancellationToken ct = default);

    /// <summary>
    /// The disk images a configuration uses: each file disk whose image is a volume of a storage pool of the host.
    /// The test driver has no disk images and returns none.
    /// </summary>
    Task<IReadOnlyList<DiskImage>> GetDiskImagesAsync(string configurationXml, CancellationToken ct = default);

    /// <summary>
    /// Opens the running domain's first serial console read-write (libvirt's virDomainOpenConsole over a stream). An
    /// earlier session of another client is taken over. Throws <see cref="HypervisorException"/> when the domain does
    /// not run, has no pty console, or the driver has none (the embedded test driver).
    /// </summary>
    Task<IConsoleStream> OpenSerialConsoleAsync(Guid id, CancellationToken ct = default);
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

/// <summary>The host right after a snapshot was taken.</summary>
/// <param name="SnapshotXml">libvirt's description of the snapshot; null when the host needed none (a stopped VM without disks).</param>
/// <param name="InactiveXml">The domain's inactive configuration (on a real host, now on the snapshot's new overlays).</param>
/// <param name="State">The domain's run state (a guest the dump paused runs again).</param>
/// <param name="MemorySaved">Whether the memory was written to the request's file: false when none was asked for, or when
/// the guest had stopped by the time of the call (the snapshot is then of the disks and configuration only).</param>
public sealed record SnapshotTaken(string? SnapshotXml, string InactiveXml, DomainRunState State, bool MemorySaved = false);

/// <summary>Where a memory dump lives, and the configuration the VM had when it was taken.</summary>
public sealed record MemoryRestoreRequest(string DumpPath, string ConfigurationXml);

/// <param name="Type">libvirt's pool type: <c>dir</c>, <c>fs</c>, <c>netfs</c>, <c>disk</c>, <c>logical</c>, …</param>
/// <param name="Active">Whether the pool runs; an inactive pool reports no sizes.</param>
public sealed record PoolInfo(string Name, long CapacityBytes, long AllocationBytes, long AvailableBytes, string? TargetPath,
    string Type = "dir", bool Active = true);

/// <summary>A volume as libvirt named it, and its path on the host.</summary>
public sealed record VolumeRef(string Name, string Path);

/// <summary>Bytes of a host's file read from <paramref name="Start"/>, and the file's length when they were read.</summary>
public sealed record PoolFileRead(byte[] Bytes, long Start, long Length);

public enum VolumeFormat { Raw, Qcow2 }

/// <summary>A file disk of a domain and the storage volume that holds its image.</summary>
/// <param name="Target">The guest's device name (<c>vda</c>).</param>
public sealed record DiskImage(string Target, string Path, string Pool, string Volume, long CapacityBytes);

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
