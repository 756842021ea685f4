using System.Xml;
using System.Xml.Linq;

namespace Portal.Core.Vms;

/// <summary>Reads and rewrites libvirt domain XML. Everything is parsed with DTD processing off.</summary>
public static class DomainXml
{
    /// <summary>The namespace of the portal's own &lt;metadata&gt; element in a domain.</summary>
    public static readonly XNamespace PortalNs = "urn:ramsnap:portal";

    public static XDocument Parse(string xml)
    {
        var settings = new XmlReaderSettings { DtdProcessing = DtdProcessing.Prohibit, XmlResolver = null, MaxCharactersInDocument = 16 * 1024 * 1024 };
        using var reader = XmlReader.Create(new StringReader(xml), settings);
        return XDocument.Load(reader);
    }

    public static int MemoryMiB(XDocument d)
    {
        var m = d.Root?.Element("memory");
        if (m is null || !long.TryParse(m.Value, out var v)) return 0;
        var unit = ((string?)m.Attribute("unit") ?? "KiB").ToLowerInvariant();
        var bytes = unit switch
        {
            "b" or "bytes" => v, "k" or "kib" => v * 1024, "m" or "mib" => v << 20, "g" or "gib" => v << 30,
            "kb" => v * 1000, "mb" => v * 1_000_000, "gb" => v * 1_000_000_000, _ => v * 1024,
        };
        return (int)(bytes >> 20);
    }

    /// <summary>Total video RAM in KiB (vram of every video device; libvirt's unit is KiB).</summary>
    public static int VideoRamKiB(XDocument d) =>
        d.Root?.Element("devices")?.Elements("video").Select(v => (int?)v.Element("model")?.Attribute("vram") ?? 0).Sum() ?? 0;

    public static string? MetadataValue(XDocument d, string name) =>
        d.Root?.Element("metadata")?.Element(PortalNs + "vm")?.Element(PortalNs + name)?.Value;

    /// <summary>The file every file-backed disk of the configuration writes to.</summary>
    public static IEnumerable<string> DiskFiles(string configurationXml) =>
        string.IsNullOrWhiteSpace(configurationXml) ? []
            : Parse(configurationXml).Root?.Element("devices")?.Elements("disk")
                  .Where(d => (string?)d.Attribute("device") is null or "disk")
                  .Select(d => (string?)d.Element("source")?.Attribute("file")).OfType<string>() ?? [];

    /// <summary>
    /// The disks a snapshot cannot take in, described ("vdb (block device /dev/sdb)"): a snapshot moves each disk onto a
    /// new qcow2 file over the image it leaves, so a disk must be an image file. A read-only disk (a CD-ROM, a floppy,
    /// &lt;readonly/&gt;) is left as it is, and so is one its definition keeps out of snapshots (snapshot='no').
    /// </summary>
    public static IReadOnlyList<string> UnsnapshottableDisks(XDocument d) =>
        d.Root?.Element("devices")?.Elements("disk")
            .Where(x => (string?)x.Attribute("device") is (null or "disk" or "lun") && x.Element("readonly") is null && (string?)x.Attribute("snapshot") != "no")
            // Not an image file: another disk type, or a file disk whose source names no file.
            .Where(x => (string?)x.Attribute("type") is not (null or "file") || (x.Element("source") is not null && x.Element("source")?.Attribute("file") is null))
            .Select(x =>
            {
                var source = x.Element("source");
                var what = (string?)x.Attribute("type") switch
                {
                    "block" => $"block device {(string?)source?.Attribute("dev")}",
                    "network" => $"network disk {(string?)source?.Attribute("protocol")}:{(string?)source?.Attribute("name")}",
                    "volume" => $"volume {(string?)source?.Attribute("volume")} of pool {(string?)source?.Attribute("pool")}",
                    var t => $"{t ?? "file"} disk",
                };
                return $"{(string?)x.Element("target")?.Attribute("dev") ?? "?"} ({what})";
            }).ToList() ?? [];

    /// <summary>
    /// Devices whose state cannot be saved with the memory: host devices (PCI/SCSI passthrough), NVDIMM, TPM.
    /// Returns their names, empty when there are none.
    /// </summary>
    public static IReadOnlyList<string> UnsavableDevices(XDocument d)
    {
        var devices = d.Root?.Element("devices");
        if (devices is null) return [];
        var found = new List<string>();
        foreach (var h in devices.Elements("hostdev")) found.Add($"host device ({(string?)h.Attribute("type") ?? "passthrough"})");
        if (devices.Elements("memory").Any(m => (string?)m.Attribute("model") == "nvdimm")) found.Add("NVDIMM");
        if (devices.Elements("tpm").Any()) found.Add("TPM");
        return found;
    }

    /// <summary>
    /// The same configuration under a new name and id: for a clone. MAC addresses go (libvirt gives new ones), and so
    /// do the UEFI variables' file and the files a character device (a serial port, a console) writes its output or
    /// log to: each gets a file of the clone's own, named after the clone, or the two VMs would write into one.
    /// </summary>
    public static string AsNewDomain(string xml, string name, Guid id)
    {
        var d = Parse(xml);
        var root = d.Root!;
        var oldName = (string?)root.Element("name") ?? "";
        root.Attribute("id")?.Remove();
        root.SetElementValue("name", name);
        root.SetElementValue("uuid", id.ToString());
        // Hardware addresses that must be unique per VM.
        foreach (var mac in root.Descendants("mac").ToList()) mac.Remove();
        // UEFI variables: without a path of its own, libvirt gives the clone one named after it, filled from the template.
        if (root.Element("os")?.Element("nvram") is { } nvram) nvram.ReplaceWith(new XElement("nvram", nvram.Attributes().Where(a => a.Name != "type")));
        foreach (var device in root.Element("devices")?.Elements().Where(e => e.Name.LocalName is "serial" or "console" or "parallel" or "channel") ?? [])
        {
            if (device.Element("log")?.Attribute("file") is { } log) log.Value = OwnFile(log.Value, oldName, name);
            if ((string?)device.Attribute("type") == "file" && device.Element("source")?.Attribute("path") is { } path) path.Value = OwnFile(path.Value, oldName, name);
        }
        return d.ToString(SaveOptions.DisableFormatting);
    }

    /// <summary>/logs/web.log for web-copy → /logs/web-copy.log; /logs/serial0.log → /logs/serial0-web-copy.log.</summary>
    private static string OwnFile(string file, string oldName, string newName)
    {
        var dir = Path.GetDirectoryName(file) ?? "";
        var stem = Path.GetFileNameWithoutExtension(file);
        var own = stem == oldName ? newName : $"{stem}-{newName}";
        return Path.Combine(dir, own + Path.GetExtension(file));
    }
}
