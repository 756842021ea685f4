using System.Xml.Linq;
using Portal.Core.Hypervisor;

namespace Portal.Core.Libvirt;

/// <summary>Builds and reads libvirt &lt;domainsnapshot&gt; documents.</summary>
internal static class SnapshotXml
{
    public static string Build(SnapshotRequest request, bool live, bool testDriver, XDocument domain)
    {
        var root = new XElement("domainsnapshot",
            new XElement("name", request.Name),
            new XElement("description", request.Description));

        if (live)
        {
            // snapshot='external' + file: libvirt pauses the guest, writes its RAM there, and resumes it.
            // snapshot='no': a live snapshot of the disks and configuration only.
            root.Add(request.MemoryFile is null
                ? new XElement("memory", new XAttribute("snapshot", "no"))
                : new XElement("memory", new XAttribute("snapshot", "external"), new XAttribute("file", request.MemoryFile)));
        }

        if (testDriver && request.MemoryFile is not null)
        {
            // The test driver accepts external memory only when no disk takes part (snapshot='no' per disk).
            var disks = new XElement("disks");
            foreach (var target in DiskTargets(domain))
                disks.Add(new XElement("disk", new XAttribute("name", target), new XAttribute("snapshot", "no")));
            root.Add(disks);
        }
        return root.ToString(SaveOptions.DisableFormatting);
    }

    public static IEnumerable<string> DiskTargets(XDocument domain) =>
        domain.Root?.Element("devices")?.Elements("disk")
            .Where(d => (string?)d.Attribute("device") is null or "disk")
            .Select(d => (string?)d.Element("target")?.Attribute("dev"))
            .OfType<string>() ?? [];

    public static string? MemoryFile(string snapshotXml)
    {
        if (string.IsNullOrEmpty(snapshotXml)) return null;
        var memory = XDocument.Parse(snapshotXml).Root?.Element("memory");
        return (string?)memory?.Attribute("snapshot") == "external" ? (string?)memory?.Attribute("file") : null;
    }
}
