namespace Portal.Core.Storage;

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
}
