using System.Xml.Linq;
using Portal.Core.Hypervisor;

namespace Portal.Core.Libvirt;

/// <summary>Builds and reads libvirt &lt;domainsnapshot&gt; documents.</summary>
internal static class SnapshotXml
{
    /// <summary>virDomainSnapshotCreateFlags: DISK_ONLY (no memory state) and ATOMIC (all disks or none).</summary>
    public const uint DiskOnly = 0x10, Atomic = 0x80;

    /// <summary>The document, and the flags it must be created with.</summary>
    public static (string Xml, uint Flags) Build(SnapshotRequest request, bool live, bool testDriver, XDocument domain)
    {
        var root = new XElement("domainsnapshot",
            new XElement("name", request.Name),
            new XElement("description", request.Description));
        uint flags = 0;

        if (live)
        {
            // snapshot='external' + file: libvirt pauses the guest, writes its RAM there, and resumes it.
            // snapshot='no': a live snapshot of the disks and configuration only.
            root.Add(request.MemoryFile is null
                ? new XElement("memory", new XAttribute("snapshot", "no"))
                : new XElement("memory", new XAttribute("snapshot", "external"), new XAttribute("file", request.MemoryFile)));
        }

        var disks = new XElement("disks");
        foreach (var (target, source) in FileDisks(domain))
        {
            if (testDriver)
            {
                // The test driver accepts external memory only when no disk takes part (snapshot='no' per disk).
                if (request.MemoryFile is not null) disks.Add(new XElement("disk", new XAttribute("name", target), new XAttribute("snapshot", "no")));
            }
            else
            {
                // Real hosts: every file disk gets an external qcow2 overlay; the image it leaves is the snapshot's.
                disks.Add(new XElement("disk", new XAttribute("name", target), new XAttribute("snapshot", "external"),
                    new XElement("driver", new XAttribute("type", "qcow2")),
                    new XElement("source", new XAttribute("file", OverlayPath(source, request.Name)))));
            }
        }
        if (disks.HasElements) root.Add(disks);
        if (!testDriver && request.MemoryFile is null && disks.HasElements) flags |= DiskOnly | Atomic;
        return (root.ToString(SaveOptions.DisableFormatting), flags);
    }

    /// <summary>Disk target and file source of every file-backed disk.</summary>
    public static IEnumerable<(string Target, string Source)> FileDisks(XDocument domain) =>
        domain.Root?.Element("devices")?.Elements("disk")
            .Where(d => (string?)d.Attribute("device") is null or "disk")
            .Select(d => ((string?)d.Element("target")?.Attribute("dev"), (string?)d.Element("source")?.Attribute("file")))
            .Where(x => x.Item1 is not null && x.Item2 is not null)
            .Select(x => (x.Item1!, x.Item2!)) ?? [];

    /// <summary>An overlay beside its backing image, named after the snapshot or run that made it.</summary>
    /// <summary>Whether <paramref name="path"/> has the shape <see cref="OverlayPath"/> gives: <c>stem.GUID.qcow2</c>.</summary>
    public static bool IsOverlayPath(string path)
    {
        var name = Path.GetFileName(path);
        var parts = name.Split('.');
        return parts.Length == 3 && parts[2] == "qcow2" && parts[0].Length > 0 && Guid.TryParse(parts[1], out _);
    }

    public static string OverlayPath(string image, string tag)
    {
        var dir = Path.GetDirectoryName(image) ?? "/";
        var stem = Path.GetFileNameWithoutExtension(image);
        var dot = stem.IndexOf('.');
        if (dot > 0) stem = stem[..dot];
        return Path.Combine(dir, $"{stem}.{tag}.qcow2");
    }

    /// <summary>
    /// The configuration without the disks' &lt;backingStore&gt; elements. A configuration the portal stored (read back after
    /// a snapshot) lists each disk's backing chain as it was then; defined again, libvirt keeps that stale chain, and the
    /// next external snapshot stacks a new one on it, naming the top image twice (QEMU then fails to start it: "Failed to
    /// get write lock"). Without them libvirt reads each chain from the images' own headers.
    /// </summary>
    public static string WithoutBackingChains(string domainXml)
    {
        if (!domainXml.Contains("<backingStore", StringComparison.Ordinal)) return domainXml;
        var doc = XDocument.Parse(domainXml);
        var chains = doc.Root?.Element("devices")?.Elements("disk").Elements("backingStore").ToList() ?? [];
        if (chains.Count == 0) return domainXml;
        foreach (var b in chains) b.Remove();
        return doc.ToString(SaveOptions.DisableFormatting);
    }

    public static string? MemoryFile(string snapshotXml)
    {
        if (string.IsNullOrEmpty(snapshotXml)) return null;
        var memory = XDocument.Parse(snapshotXml).Root?.Element("memory");
        return (string?)memory?.Attribute("snapshot") == "external" ? (string?)memory?.Attribute("file") : null;
    }

    /// <summary>The saved domain XML with each disk's source and format replaced by those the configuration names for that target.</summary>
    public static string RetargetDisks(string savedXml, string configurationXml)
    {
        var configuration = XDocument.Parse(configurationXml);
        var wanted = FileDisks(configuration).ToDictionary(d => d.Target, d => d.Source);
        // The image's format goes with it: the dump names a raw disk's image as raw, and its overlay is qcow2 (read as
        // raw, the guest would see the overlay's qcow2 header as its disk and write over it).
        var formats = configuration.Root?.Element("devices")?.Elements("disk")
            .Where(d => (string?)d.Element("target")?.Attribute("dev") is not null)
            .GroupBy(d => (string)d.Element("target")!.Attribute("dev")!)
            .ToDictionary(g => g.Key, g => (string?)g.First().Element("driver")?.Attribute("type")) ?? [];
        var saved = XDocument.Parse(savedXml);
        foreach (var disk in saved.Root?.Element("devices")?.Elements("disk") ?? [])
        {
            var dev = (string?)disk.Element("target")?.Attribute("dev");
            if (dev is null || !wanted.TryGetValue(dev, out var source)) continue;
            disk.Element("source")?.SetAttributeValue("file", source);
            disk.Element("backingStore")?.Remove();
            if (formats.GetValueOrDefault(dev) is { } format) disk.Element("driver")?.SetAttributeValue("type", format);
        }
        return saved.ToString(SaveOptions.DisableFormatting);
    }
}
