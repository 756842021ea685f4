namespace Portal.Core.Clusters;

public class Cluster
{
    public Guid Id { get; set; } = Guid.NewGuid();
    public required string Name { get; set; }

    /// <summary>oVirt compatibility version, "major.minor" (3.0 … 3.3, 4.x).</summary>
    public required string CompatibilityVersion { get; set; }

    public Version Compatibility => Version.Parse(CompatibilityVersion);

    /// <summary>Memory snapshots exist from compatibility 3.3 on (oVirt's MemorySnapshotSupported).</summary>
    public bool SupportsMemorySnapshots => Compatibility >= MemorySnapshotVersion;

    public static readonly Version MemorySnapshotVersion = new(3, 3);
}
