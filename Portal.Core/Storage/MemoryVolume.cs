namespace Portal.Core.Storage;

/// <summary>
/// A saved memory state: the dump of the guest's RAM and the VM configuration at that moment, as two volumes on
/// one storage domain. Snapshots share it by reference; it is deleted when the last reference goes.
/// </summary>
public class MemoryVolume
{
    public Guid Id { get; set; } = Guid.NewGuid();
    public Guid StorageDomainId { get; set; }
    public StorageDomain? StorageDomain { get; set; }
    public Guid DumpImageId { get; set; } = Guid.NewGuid();
    public Guid DumpVolumeId { get; set; } = Guid.NewGuid();
    public Guid ConfImageId { get; set; } = Guid.NewGuid();
    public Guid ConfVolumeId { get; set; } = Guid.NewGuid();
    public required string DumpPath { get; set; }
    public required string ConfPath { get; set; }
    public long SizeBytes { get; set; }
    public DateTime CreatedAt { get; set; }

    /// <summary>
    /// The libvirt volume names, as libvirt gave them. The portal asks for the volume GUIDs, so no name from outside can
    /// point anywhere else; a <c>disk</c> pool names its partitions itself (<c>loop0p3</c>), so the name is kept.
    /// </summary>
    public required string DumpVolumeName { get; set; }
    public required string ConfVolumeName { get; set; }

    /// <summary>
    /// The host no longer has the dump volume (found when the portal reconciled with the host): the row is kept and shown,
    /// so the snapshots that hold it can be removed, and nothing tries to restore from it.
    /// </summary>
    public bool IsMissingOnHost { get; set; }
}
