using System.Xml.Linq;
using Portal.Core.Vms;

namespace Portal.Core.ImportExport;

/// <summary>The disks of an imported configuration: which ones name something on a host, and pointing them at the copies.</summary>
internal static class DiskSources
{
    private static IEnumerable<XElement> Disks(XDocument d) => d.Root?.Element("devices")?.Elements("disk") ?? [];

    private static string? Target(XElement disk) => (string?)disk.Element("target")?.Attribute("dev");

    /// <summary>
    /// The device names of the disks that name a host file, device, directory, pool volume or network source and are
    /// not among <paramref name="exported"/>. An empty CD-ROM names nothing and passes.
    /// </summary>
    public static IReadOnlyList<string> Uncovered(string configurationXml, IReadOnlyList<OvfDisk> exported)
    {
        var covered = exported.Select(d => d.Target).ToHashSet();
        return Disks(DomainXml.Parse(configurationXml))
            .Where(d => d.Element("source")?.HasAttributes == true || d.Element("source")?.HasElements == true)
            .Select(d => Target(d) ?? "(without a device name)")
            .Where(t => !covered.Contains(t))
            .ToList();
    }

    /// <summary>Each disk named in <paramref name="images"/> becomes a qcow2 file disk on that image, with no backing chain.</summary>
    public static string Retarget(string configurationXml, IReadOnlyDictionary<string, string> images)
    {
        var doc = DomainXml.Parse(configurationXml);
        foreach (var disk in Disks(doc))
        {
            if (Target(disk) is not { } target || !images.TryGetValue(target, out var path)) continue;
            disk.SetAttributeValue("type", "file");
            disk.Element("source")?.Remove();
            disk.Element("backingStore")?.Remove();
            var driver = disk.Element("driver");
            if (driver is null) disk.AddFirst(driver = new XElement("driver", new XAttribute("name", "qemu")));
            driver.SetAttributeValue("type", "qcow2");
            driver.AddAfterSelf(new XElement("source", new XAttribute("file", path)));
        }
        return doc.ToString(SaveOptions.DisableFormatting);
    }
}
