using System.Xml.Linq;
using Portal.Core.Vms;

namespace Portal.Core.Hosts;

/// <summary>
/// The embedded default host: a node file for libvirt's in-process test driver, written once into the data
/// folder, with demo VMs in two clusters, a file data domain and an export domain.
/// </summary>
public static class DemoNode
{
    public const string FileName = "demo-node.xml";
    /// <summary>The embedded host's name in the portal (its row is made at the first start).</summary>
    public const string HostName = "embedded-test-host";
    public const string ModernCluster = "Production";
    public const string ModernVersion = "4.7";
    public const string LegacyCluster = "Legacy";
    public const string LegacyVersion = "3.2";
    public const string DataPool = "data-file";
    public const string ExportPool = "export-file";

    private static readonly XNamespace Test = "http://libvirt.org/schemas/domain/test/1.0";

    /// <summary>name, cluster, MiB, running, stateless, extra devices.</summary>
    private static readonly (string Name, string Cluster, int MiB, bool Running, bool Stateless, string Devices, string Uuid)[] Vms =
    [
        ("web-frontend", ModernCluster, 1024, true, false, "", "5a1e0c52-0d3b-4a5e-9c51-2f0a7b1e0001"),
        ("db-primary", ModernCluster, 2048, true, false, "", "5a1e0c52-0d3b-4a5e-9c51-2f0a7b1e0002"),
        ("build-agent", ModernCluster, 512, false, false, "", "5a1e0c52-0d3b-4a5e-9c51-2f0a7b1e0003"),
        ("kiosk-stateless", ModernCluster, 512, false, true, "", "5a1e0c52-0d3b-4a5e-9c51-2f0a7b1e0004"),
        ("gpu-render", ModernCluster, 4096, true, false, "hostdev", "5a1e0c52-0d3b-4a5e-9c51-2f0a7b1e0005"),
        ("legacy-erp", LegacyCluster, 1024, true, false, "", "5a1e0c52-0d3b-4a5e-9c51-2f0a7b1e0006"),
        ("legacy-reports", LegacyCluster, 512, false, false, "", "5a1e0c52-0d3b-4a5e-9c51-2f0a7b1e0007"),
    ];

    /// <summary>Writes the node file unless it exists, and returns the test-driver URI for it.</summary>
    public static string EnsureWritten(string dataDirectory)
    {
        Directory.CreateDirectory(dataDirectory);
        var path = Path.GetFullPath(Path.Combine(dataDirectory, FileName));
        if (!File.Exists(path)) Build(Path.GetFullPath(dataDirectory)).Save(path);
        return UriIn(dataDirectory);
    }

    /// <summary>The test-driver URI of the embedded host's node file in <paramref name="dataDirectory"/>.</summary>
    public static string UriIn(string dataDirectory) => "test://" + Path.GetFullPath(Path.Combine(dataDirectory, FileName));

    /// <summary>Whether <paramref name="uri"/> names an embedded host's node file, in this data folder or another.</summary>
    public static bool IsEmbeddedNodeUri(string uri) =>
        uri.StartsWith("test:///", StringComparison.Ordinal) && uri.EndsWith("/" + FileName, StringComparison.Ordinal);

    public static XDocument Build(string dataDirectory)
    {
        var node = Node();
        foreach (var vm in Vms) node.Add(Domain(vm, dataDirectory));
        node.Add(Pool(DataPool, Path.Combine(dataDirectory, "storage", DataPool)));
        node.Add(Pool(ExportPool, Path.Combine(dataDirectory, "storage", ExportPool)));
        return new XDocument(node);
    }

    /// <summary>A VM of another host's node file.</summary>
    /// <param name="Cluster">Default: <see cref="ModernCluster"/>.</param>
    public sealed record NodeVm(string Name, Guid Uuid, int MiB, bool Running, string Cluster = ModernCluster);

    /// <summary>
    /// Writes the node file of another test-driver host with <paramref name="vms"/> (and no storage pools: storage
    /// domains are the primary host's) and returns its URI, for a second host in a demo or a test.
    /// </summary>
    public static string WriteNode(string path, IEnumerable<NodeVm> vms)
    {
        path = Path.GetFullPath(path);
        var directory = Path.GetDirectoryName(path)!;
        Directory.CreateDirectory(directory);
        var node = Node();
        foreach (var vm in vms) node.Add(Domain((vm.Name, vm.Cluster, vm.MiB, vm.Running, false, "", vm.Uuid.ToString()), directory));
        new XDocument(node).Save(path);
        return "test://" + path;
    }

    private static XElement Node() =>
        new("node", new XAttribute(XNamespace.Xmlns + "test", Test),
            new XElement("cpu", new XElement("mhz", 2400), new XElement("model", "x86_64"), new XElement("active", 2),
                new XElement("nodes", 1), new XElement("sockets", 1), new XElement("cores", 2), new XElement("threads", 1)),
            new XElement("memory", 24 * 1024 * 1024));

    private static XElement Domain((string Name, string Cluster, int MiB, bool Running, bool Stateless, string Devices, string Uuid) vm, string dataDirectory)
    {
        var devices = new XElement("devices",
            new XElement("disk", new XAttribute("type", "file"), new XAttribute("device", "disk"),
                new XElement("driver", new XAttribute("name", "qemu"), new XAttribute("type", "qcow2")),
                new XElement("source", new XAttribute("file", Path.Combine(dataDirectory, "storage", DataPool, vm.Name + ".qcow2"))),
                new XElement("target", new XAttribute("dev", "vda"), new XAttribute("bus", "virtio"))),
            new XElement("interface", new XAttribute("type", "user")),
            new XElement("video", new XElement("model", new XAttribute("type", "vga"), new XAttribute("vram", 16384))),
            // The consoles a real VM has, so the Console tab lists them; the test driver runs no guest behind them.
            new XElement("serial", new XAttribute("type", "pty"), new XElement("target", new XAttribute("port", 0))),
            new XElement("graphics", new XAttribute("type", "vnc"), new XAttribute("autoport", "yes")));
        if (vm.Devices == "hostdev")
            devices.Add(new XElement("hostdev", new XAttribute("mode", "subsystem"), new XAttribute("type", "pci"), new XAttribute("managed", "yes"),
                new XElement("source", new XElement("address", new XAttribute("domain", "0x0000"), new XAttribute("bus", "0x03"),
                    new XAttribute("slot", "0x00"), new XAttribute("function", "0x0")))));
        return new XElement("domain", new XAttribute("type", "test"),
            new XElement("name", vm.Name),
            new XElement("uuid", vm.Uuid),
            new XElement("metadata", new XElement(DomainXml.PortalNs + "vm",
                new XElement(DomainXml.PortalNs + "cluster", vm.Cluster),
                new XElement(DomainXml.PortalNs + "stateless", vm.Stateless ? "true" : "false"))),
            new XElement("memory", new XAttribute("unit", "MiB"), vm.MiB),
            new XElement("vcpu", 1),
            new XElement("os", new XElement("type", new XAttribute("arch", "x86_64"), "hvm")),
            devices,
            // test:runstate 1 = running, 5 = shut off (virDomainState).
            new XElement(Test + "runstate", vm.Running ? 1 : 5));
    }

    private static XElement Pool(string name, string path) =>
        new("pool", new XAttribute("type", "dir"),
            new XElement("name", name),
            new XElement("target", new XElement("path", path)));
}
