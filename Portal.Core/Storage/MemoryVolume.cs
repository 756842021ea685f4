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

    /// <summary>The libvirt volume names: the volume GUIDs, so no name from outside can point anywhere else.</summary>
    public string DumpVolumeName => DumpVolumeId.ToString();
    public string ConfVolumeName => ConfVolumeId.ToString();
}
