using Portal.Core.Storage;

namespace Portal.Core.Snapshots;

public enum SnapshotType { Regular, Active, Stateless, Preview }
public enum SnapshotStatus { Ok, Locked, InPreview }

public class Snapshot
{
    public Guid Id { get; set; } = Guid.NewGuid();
    public Guid VmId { get; set; }
    public required string Description { get; set; }
    public DateTime CreatedAt { get; set; }
    public SnapshotType Type { get; set; }
    public SnapshotStatus Status { get; set; }
    public Guid? MemoryVolumeId { get; set; }
    public MemoryVolume? MemoryVolume { get; set; }

    /// <summary>The domain XML the VM had at that moment.</summary>
    public string ConfigurationXml { get; set; } = "";

    /// <summary>The snapshot this one was taken on top of; the Active snapshot's parent is "where the VM is".</summary>
    public Guid? ParentId { get; set; }

    /// <summary>The libvirt snapshot name, when the hypervisor holds one for this snapshot.</summary>
    public string? HypervisorName { get; set; }

    /// <summary>The hypervisor's own description of the snapshot, kept so it can be redefined (import, a fresh test driver).</summary>
    public string? HypervisorXml { get; set; }

    public bool HasMemory => MemoryVolumeId is not null;

    public const string ActiveDescription = "Active VM";
    public const string PreviewDescription = "Active VM before the preview";
    public const string StatelessDescription = "Active VM snapshot for stateless run";
    public const int MaxDescriptionLength = 4000;
}
