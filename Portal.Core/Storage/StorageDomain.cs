namespace Portal.Core.Storage;

/// <summary>
/// File: a directory of files (libvirt <c>dir</c>, <c>fs</c>, <c>netfs</c> pools). Block: volumes are block devices that
/// cannot grow (<c>logical</c>: an LVM volume group, as oVirt uses; <c>disk</c>: partitions of a device).
/// </summary>
public enum StorageKind { File, Block }
public enum StorageRole { Data, Export }

/// <summary>A storage domain backed by one libvirt storage pool on the host.</summary>
public class StorageDomain
{
    public Guid Id { get; set; } = Guid.NewGuid();
    public required string Name { get; set; }
    public StorageKind Kind { get; set; }
    public StorageRole Role { get; set; }

    /// <summary>The libvirt storage pool's name.</summary>
    public required string PoolName { get; set; }

    /// <summary>The data center ("storage pool" in oVirt's terms) the domain belongs to; part of volume references.</summary>
    public Guid DataCenterId { get; set; }

    /// <summary>
    /// The portal defined the libvirt pool (Add storage domain, "create"), so removing the domain may also stop and
    /// undefine it. A pool that was registered by name belongs to whoever made it and is never touched.
    /// </summary>
    public bool PoolCreatedByPortal { get; set; }

    /// <summary>The kind of domain a libvirt pool type makes, or null for a type the portal cannot keep memory volumes in.</summary>
    public static StorageKind? KindOf(string poolType) => poolType switch
    {
        "dir" or "fs" or "netfs" => StorageKind.File,
        "disk" or "logical" => StorageKind.Block,
        _ => null,
    };
}
