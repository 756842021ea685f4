namespace Portal.E2E.Infrastructure;

/// <summary>The embedded host's demo VMs (Portal.Core/Hosts/DemoNode.cs) as a fresh portal shows them.</summary>
public static class DemoVms
{
    public const string WebFrontend = "web-frontend";
    public const string DbPrimary = "db-primary";
    public const string BuildAgent = "build-agent";
    public const string KioskStateless = "kiosk-stateless";
    public const string GpuRender = "gpu-render";
    public const string LegacyErp = "legacy-erp";
    public const string LegacyReports = "legacy-reports";

    /// <summary>Name, status at start, cluster. gpu-render has a PCI host device; the Legacy cluster is 3.2 (no memory snapshots).</summary>
    public static readonly IReadOnlyList<(string Name, string Status, string Cluster)> All =
    [
        (WebFrontend, "Up", "Production"),
        (DbPrimary, "Up", "Production"),
        (BuildAgent, "Down", "Production"),
        (KioskStateless, "Down", "Production"),
        (GpuRender, "Up", "Production"),
        (LegacyErp, "Up", "Legacy"),
        (LegacyReports, "Down", "Legacy"),
    ];
}
