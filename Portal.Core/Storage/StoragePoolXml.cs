using System.Xml.Linq;

namespace Portal.Core.Storage;

/// <summary>The libvirt &lt;pool&gt; documents the portal defines when it creates a storage domain's pool.</summary>
public static class StoragePoolXml
{
    /// <summary>A directory pool: libvirt makes the directory when the pool is built; volumes are files in it.</summary>
    public static string Directory(string name, string path) =>
        new XElement("pool", new XAttribute("type", "dir"),
            new XElement("name", name),
            new XElement("target", new XElement("path", path))).ToString(SaveOptions.DisableFormatting);

    /// <summary>
    /// A <c>disk</c> pool: a block device with a GPT partition table; every volume is a partition, named by libvirt
    /// after the device (<c>sdb1</c>, <c>loop0p1</c>). The target <c>/dev</c> makes volume paths the kernel's nodes.
    /// </summary>
    public static string Disk(string name, string device) =>
        new XElement("pool", new XAttribute("type", "disk"),
            new XElement("name", name),
            new XElement("source",
                new XElement("device", new XAttribute("path", device)),
                new XElement("format", new XAttribute("type", "gpt"))),
            new XElement("target", new XElement("path", "/dev"))).ToString(SaveOptions.DisableFormatting);

    /// <summary>
    /// A <c>logical</c> pool: the LVM volume group <paramref name="volumeGroup"/>, made on <paramref name="devices"/> when
    /// the pool is built (none: a volume group that exists already). Volumes are logical volumes under /dev/VG, as oVirt
    /// keeps its images on block domains.
    /// </summary>
    public static string Logical(string name, string volumeGroup, IReadOnlyList<string> devices) =>
        new XElement("pool", new XAttribute("type", "logical"),
            new XElement("name", name),
            new XElement("source",
                devices.Select(d => new XElement("device", new XAttribute("path", d))),
                new XElement("name", volumeGroup),
                new XElement("format", new XAttribute("type", "lvm2"))),
            new XElement("target", new XElement("path", $"/dev/{volumeGroup}"))).ToString(SaveOptions.DisableFormatting);
}
