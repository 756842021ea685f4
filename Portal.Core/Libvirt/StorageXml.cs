using System.Xml.Linq;
using Portal.Core.Hypervisor;

namespace Portal.Core.Libvirt;

/// <summary>What the portal reads from a pool's XML: its type, directory and source devices.</summary>
internal sealed record PoolDescription(string Type, string? TargetPath, IReadOnlyList<string> Devices, string? SourceName)
{
    public static PoolDescription Parse(string xml)
    {
        var root = XDocument.Parse(xml).Root!;
        var source = root.Element("source");
        return new PoolDescription((string?)root.Attribute("type") ?? "", root.Element("target")?.Element("path")?.Value,
            source?.Elements("device").Select(d => (string?)d.Attribute("path")).OfType<string>().ToList() ?? [],
            source?.Element("name")?.Value);
    }

    /// <summary>Pools whose volumes are block devices: partitions of a device, or logical volumes of a volume group.</summary>
    public bool IsBlock => Type is "disk" or "logical";
}

/// <summary>Builds the &lt;volume&gt; documents the portal sends, per pool type.</summary>
internal static class StorageVolumeXml
{
    /// <summary>
    /// A volume of <paramref name="bytes"/> bytes, mode 0600 (a memory dump holds the guest's secrets).
    /// <list type="bullet">
    /// <item><c>dir</c>/<c>fs</c>/<c>netfs</c>: a raw or qcow2 file; sparse unless <paramref name="preallocate"/>.</item>
    /// <item><c>disk</c>: a partition; its format is a partition type (<c>none</c>), never raw or qcow2.</item>
    /// <item><c>logical</c>: a logical volume without a format. Allocation equal to capacity makes a plain (thick)
    /// LV; a smaller allocation would make libvirt create a thin snapshot LV that can fill up under the guest.</item>
    /// </list>
    /// </summary>
    public static string Build(string poolType, string name, long bytes, bool preallocate, VolumeFormat format)
    {
        var block = poolType is "disk" or "logical";
        var target = new XElement("target");
        if (poolType == "disk") target.Add(new XElement("format", new XAttribute("type", "none")));
        else if (!block) target.Add(new XElement("format", new XAttribute("type", format == VolumeFormat.Qcow2 ? "qcow2" : "raw")));
        target.Add(new XElement("permissions", new XElement("mode", "0600")));
        return new XElement("volume",
            new XElement("name", name),
            new XElement("capacity", new XAttribute("unit", "bytes"), bytes),
            new XElement("allocation", new XAttribute("unit", "bytes"), block || preallocate ? bytes : 0),
            target).ToString(SaveOptions.DisableFormatting);
    }
}

/// <summary>
/// How libvirt names the partitions of a <c>disk</c> pool: after the pool's device, with a <c>p</c> between a device
/// name ending in a digit and the number (<c>sdb1</c>, <c>loop0p1</c>, <c>nvme0n1p1</c>), numbered by parted's
/// lowest free GPT slot. libvirt refuses a new partition whose requested name differs from that.
/// </summary>
internal static class DiskPartitionNames
{
    public static string Prefix(string device)
    {
        var name = Path.GetFileName(device.TrimEnd('/'));
        return name.Length > 0 && char.IsAsciiDigit(name[^1]) ? name + "p" : name;
    }

    /// <summary>The name the next partition on <paramref name="device"/> will get, given the volumes that exist.</summary>
    public static string Next(string device, IEnumerable<string> existing)
    {
        var prefix = Prefix(device);
        var used = existing.Where(n => n.StartsWith(prefix, StringComparison.Ordinal))
            .Select(n => int.TryParse(n.AsSpan(prefix.Length), out var k) ? k : 0).ToHashSet();
        var next = 1;
        while (used.Contains(next)) next++;
        return prefix + next;
    }
}
