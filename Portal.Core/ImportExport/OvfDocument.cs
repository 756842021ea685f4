using System.Globalization;
using System.Xml;
using System.Xml.Linq;

namespace Portal.Core.ImportExport;

/// <summary>One snapshot in an OVF's snapshots section.</summary>
/// <param name="Disks">The disk images of that point in time, one per file disk of <paramref name="Configuration"/>.</param>
public sealed record OvfSnapshot(Guid Id, string Type, string Description, DateTime CreatedAt, Guid? ParentId,
    MemoryReference? Memory, long MemorySizeBytes, string Configuration, string? HypervisorName, string? HypervisorXml,
    IReadOnlyList<OvfDisk>? Disks = null)
{
    public IReadOnlyList<OvfDisk> DiskList => Disks ?? [];
}

/// <summary>
/// A disk image on the export domain: a self-contained qcow2 volume named <see cref="VolumeName"/>, built from GUIDs
/// only. <see cref="ImageId"/> is the guest disk (one per device), <see cref="VolumeId"/> the image of one point in time.
/// </summary>
/// <param name="Target">The guest's device name (<c>vda</c>), which the configuration's disk uses.</param>
public sealed record OvfDisk(string Target, Guid ImageId, Guid VolumeId, long CapacityBytes)
{
    public string VolumeName => $"{VolumeId}.qcow2";
}

/// <summary>A VM as exported: identity, cluster, flags, its libvirt definition and its snapshots.</summary>
public sealed record OvfVm(Guid Id, string Name, string ClusterName, string CompatibilityVersion, bool IsStateless, int MemoryMiB,
    DateTime ExportedAt, string DomainXml, IReadOnlyList<OvfSnapshot> Snapshots)
{
    public OvfSnapshot? Active => Snapshots.FirstOrDefault(s => s.Type == OvfDocument.ActiveType);
}

/// <summary>
/// Writes and reads the portal's OVF (oVirt's envelope: a VirtualSystem with a SnapshotsSection whose snapshots
/// carry a &lt;Memory&gt; reference). Built with System.Xml.Linq; read as untrusted input: DTDs prohibited, no
/// resolver, size capped, every id a GUID.
/// </summary>
public static partial class OvfDocument
{
    public const int MaxBytes = 8 * 1024 * 1024;
    public const string ActiveType = "ACTIVE";
    public const string RegularType = "REGULAR";

    private static readonly XNamespace Ovf = "http://schemas.dmtf.org/ovf/envelope/1/";
    private static readonly XNamespace Xsi = "http://www.w3.org/2001/XMLSchema-instance";
    private const string DateFormat = "yyyy/MM/dd HH:mm:ss.fff";

    public static XDocument Build(OvfVm vm)
    {
        var snapshots = new XElement("Section", new XAttribute(Xsi + "type", "ovf:SnapshotsSection_Type"));
        foreach (var s in vm.Snapshots)
        {
            var e = new XElement("Snapshot", new XAttribute(Ovf + "id", s.Id),
                new XElement("Type", s.Type),
                new XElement("Description", s.Description),
                new XElement("CreationDate", s.CreatedAt.ToString(DateFormat, CultureInfo.InvariantCulture)));
            if (s.ParentId is { } p) e.Add(new XElement("ParentId", p));
            if (s.Memory is not null) e.Add(new XElement("Memory", s.Memory.ToString()), new XElement("MemorySize", s.MemorySizeBytes));
            e.Add(new XElement("vm_configuration", Base64(s.Configuration)));
            if (s.HypervisorName is not null) e.Add(new XElement("HypervisorName", s.HypervisorName));
            if (s.HypervisorXml is not null) e.Add(new XElement("HypervisorXml", Base64(s.HypervisorXml)));
            if (s.DiskList.Count > 0)
                e.Add(new XElement("Disks", s.DiskList.Select(d => new XElement("Disk",
                    new XAttribute("target", d.Target), new XAttribute(Ovf + "fileRef", d.VolumeId), new XAttribute("imageId", d.ImageId),
                    new XAttribute(Ovf + "capacity", d.CapacityBytes)))));
            snapshots.Add(e);
        }
        var refs = new XElement("References");
        foreach (var m in vm.Snapshots.Select(s => s.Memory).OfType<MemoryReference>().DistinctBy(m => m.DumpVolumeId))
        {
            refs.Add(new XElement("File", new XAttribute(Ovf + "href", $"{m.DumpImageId}/{m.DumpVolumeId}"), new XAttribute(Ovf + "id", m.DumpVolumeId), new XAttribute(Ovf + "description", "memory dump")));
            if (m.ConfVolumeId is { } cv)
                refs.Add(new XElement("File", new XAttribute(Ovf + "href", $"{m.ConfImageId}/{cv}"), new XAttribute(Ovf + "id", cv), new XAttribute(Ovf + "description", "memory configuration")));
        }
        foreach (var d in vm.Snapshots.SelectMany(s => s.DiskList).DistinctBy(d => d.VolumeId))
            refs.Add(new XElement("File", new XAttribute(Ovf + "href", $"{d.ImageId}/{d.VolumeId}"), new XAttribute(Ovf + "id", d.VolumeId), new XAttribute(Ovf + "description", "disk image")));
        var content = new XElement("Content", new XAttribute(Ovf + "id", "out"), new XAttribute(Xsi + "type", "ovf:VirtualSystem_Type"),
            new XElement("Name", vm.Name),
            new XElement("VmId", vm.Id),
            new XElement("ClusterName", vm.ClusterName),
            new XElement("ClusterCompatibilityVersion", vm.CompatibilityVersion),
            new XElement("IsStateless", vm.IsStateless ? "true" : "false"),
            new XElement("MemoryMiB", vm.MemoryMiB),
            new XElement("ExportDate", vm.ExportedAt.ToString(DateFormat, CultureInfo.InvariantCulture)),
            new XElement("DomainXml", Base64(vm.DomainXml)),
            snapshots);
        return new XDocument(new XElement(Ovf + "Envelope",
            new XAttribute(XNamespace.Xmlns + "ovf", Ovf), new XAttribute(XNamespace.Xmlns + "xsi", Xsi), new XAttribute(Ovf + "version", "3.3.0.0"),
            refs, content));
    }

    /// <summary>Parses an OVF from an export domain. Throws <see cref="OvfException"/> with a clear sentence.</summary>
    public static OvfVm Parse(Stream stream)
    {
        XDocument doc;
        try
        {
            var settings = new XmlReaderSettings
            {
                DtdProcessing = DtdProcessing.Prohibit, XmlResolver = null, MaxCharactersInDocument = MaxBytes,
                MaxCharactersFromEntities = 0, IgnoreComments = true,
            };
            using var reader = XmlReader.Create(stream, settings);
            doc = XDocument.Load(reader);
        }
        catch (XmlException ex) when (ex.Message.Contains("DTD", StringComparison.OrdinalIgnoreCase))
        {
            throw new OvfException("The OVF contains a DTD or entity declarations, which are refused.");
        }
        catch (XmlException ex)
        {
            throw new OvfException($"The OVF is not well-formed XML: {ex.Message}");
        }

        var content = doc.Root?.Element("Content") ?? throw new OvfException("The OVF has no <Content> (VirtualSystem) element.");
        var id = RequiredGuid(content, "VmId");
        var name = Required(content, "Name");
        var snapshots = new List<OvfSnapshot>();
        var section = content.Elements("Section").FirstOrDefault(e => (string?)e.Attribute(Xsi + "type") == "ovf:SnapshotsSection_Type");
        foreach (var s in section?.Elements("Snapshot") ?? [])
        {
            var sid = GuidOf((string?)s.Attribute(Ovf + "id"), "snapshot id");
            var type = Required(s, "Type").ToUpperInvariant();
            if (type is not (ActiveType or RegularType)) throw new OvfException($"Snapshot {sid} has an unknown type '{Clip(type)}'.");
            MemoryReference? memory = null;
            if (s.Element("Memory") is { } m && !string.IsNullOrWhiteSpace(m.Value))
            {
                if (!MemoryReference.TryParse(m.Value, out memory, out var error)) throw new OvfException($"Snapshot {sid}: {error}.");
            }
            snapshots.Add(new OvfSnapshot(sid, type, (string?)s.Element("Description") ?? "", DateOf(s.Element("CreationDate")?.Value),
                s.Element("ParentId") is { } p ? GuidOf(p.Value, "parent id") : null, memory,
                long.TryParse(s.Element("MemorySize")?.Value, out var size) ? size : 0,
                Unbase64(Required(s, "vm_configuration"), "vm_configuration"),
                (string?)s.Element("HypervisorName") is { } hn ? GuidOf(hn, "hypervisor snapshot name").ToString() : null,
                s.Element("HypervisorXml") is { } hx ? Unbase64(hx.Value, "HypervisorXml") : null,
                DisksOf(s, sid)));
        }
        if (snapshots.Count(s => s.Type == ActiveType) != 1) throw new OvfException("The OVF must hold exactly one ACTIVE snapshot.");
        return new OvfVm(id, name, (string?)content.Element("ClusterName") ?? "", (string?)content.Element("ClusterCompatibilityVersion") ?? "",
            (string?)content.Element("IsStateless") == "true", int.TryParse(content.Element("MemoryMiB")?.Value, out var mib) ? mib : 0,
            DateOf(content.Element("ExportDate")?.Value), Unbase64(Required(content, "DomainXml"), "DomainXml"), snapshots);
    }

    [System.Text.RegularExpressions.GeneratedRegex("^(vd|sd|hd|xvd)[a-z]{1,3}$")]
    private static partial System.Text.RegularExpressions.Regex DiskTarget();

    /// <summary>A snapshot's disk images: a known device name per disk, each once, GUIDs for the rest.</summary>
    private static List<OvfDisk> DisksOf(XElement snapshot, Guid sid)
    {
        var disks = new List<OvfDisk>();
        foreach (var d in snapshot.Element("Disks")?.Elements("Disk") ?? [])
        {
            var target = (string?)d.Attribute("target") ?? "";
            if (!DiskTarget().IsMatch(target)) throw new OvfException($"Snapshot {sid} has a disk with the device name '{Clip(target)}'; vda, sdb, hdc and the like are accepted.");
            if (disks.Any(x => x.Target == target)) throw new OvfException($"Snapshot {sid} lists disk {target} twice.");
            var capacity = long.TryParse((string?)d.Attribute(Ovf + "capacity"), out var c) && c > 0 ? c
                : throw new OvfException($"Snapshot {sid}: disk {target} has no capacity.");
            disks.Add(new OvfDisk(target, GuidOf((string?)d.Attribute("imageId"), "disk image id"), GuidOf((string?)d.Attribute(Ovf + "fileRef"), "disk volume id"), capacity));
        }
        return disks;
    }

    private static string Base64(string s) => Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(s));

    private static string Unbase64(string s, string what)
    {
        try { return System.Text.Encoding.UTF8.GetString(Convert.FromBase64String(s.Trim())); }
        catch (FormatException) { throw new OvfException($"<{what}> is not base64 text."); }
    }

    private static string Required(XElement parent, string name) =>
        parent.Element(name)?.Value is { Length: > 0 } v ? v : throw new OvfException($"The OVF is missing <{name}>.");

    private static Guid RequiredGuid(XElement parent, string name) => GuidOf(Required(parent, name), name);

    private static Guid GuidOf(string? text, string what) =>
        Guid.TryParseExact(text?.Trim(), "D", out var g) ? g : throw new OvfException($"The {what} '{Clip(text ?? "")}' is not a GUID.");

    private static DateTime DateOf(string? text) =>
        DateTime.TryParseExact(text, DateFormat, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var d) ? d : DateTime.UnixEpoch;

    private static string Clip(string s) => s.Length > 40 ? s[..40] + "…" : s;
}

public sealed class OvfException(string message) : Exception(message);
