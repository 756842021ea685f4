using Portal.Core.Libvirt;
using Portal.Core.Vms;

namespace Portal.Tests.Libvirt;

/// <summary>Only overlays the portal made may ever be deleted as unused: the name is the first guard.</summary>
public sealed class OverlayNamingTests
{
    [Theory]
    [InlineData("/var/lib/portal-real/data/tiny.qcow2", false)]                                          // a base image
    [InlineData("/var/lib/portal-real/data/tiny.7e1a0000-0000-4000-8000-000000000001.qcow2", true)]
    [InlineData("/var/lib/portal-real/data/tiny.7e1a0000-0000-4000-8000-000000000001.raw", false)]
    [InlineData("/var/lib/portal-real/data/tiny.not-a-guid.qcow2", false)]
    [InlineData("/var/lib/portal-real/data/a.b.7e1a0000-0000-4000-8000-000000000001.qcow2", false)]
    public void IsOverlayPath_OnlyTheShapeOverlayPathGives_IsAnOverlay(string path, bool expected) =>
        Assert.Equal(expected, SnapshotXml.IsOverlayPath(path));

    [Fact]
    public void OverlayPath_OfAnOverlay_IsAnOverlayBesideTheSameBase()
    {
        var tag = Guid.NewGuid().ToString();
        var first = SnapshotXml.OverlayPath("/data/tiny.qcow2", Guid.NewGuid().ToString());
        var second = SnapshotXml.OverlayPath(first, tag);
        Assert.Equal($"/data/tiny.{tag}.qcow2", second);
        Assert.True(SnapshotXml.IsOverlayPath(second));
    }

    [Fact]
    public void DiskFiles_ListsFileDisksButNotCdromsOrNetworkDisks()
    {
        const string xml = """
            <domain><devices>
              <disk type='file' device='disk'><source file='/data/a.qcow2'/><target dev='vda'/></disk>
              <disk type='file' device='cdrom'><source file='/iso/x.iso'/><target dev='hdc'/></disk>
              <disk type='network' device='disk'><source protocol='nbd' name='n'/><target dev='vdb'/></disk>
            </devices></domain>
            """;
        Assert.Equal(["/data/a.qcow2"], DomainXml.DiskFiles(xml));
    }

    [Fact]
    public void RetargetDisks_RawImageMovedOntoAQcow2Overlay_TheDumpsXmlSaysQcow2()
    {
        const string saved = """
            <domain type='qemu'><name>raw-guest</name><devices>
              <disk type='file' device='disk'><driver name='qemu' type='raw'/><source file='/data/raw-guest.img'/><backingStore/><target dev='vda'/></disk>
              <disk type='file' device='cdrom'><driver name='qemu' type='raw'/><source file='/isos/a.iso'/><target dev='hdc'/><readonly/></disk>
            </devices></domain>
            """;
        const string configuration = """
            <domain type='qemu'><name>raw-guest</name><devices>
              <disk type='file' device='disk'><driver name='qemu' type='qcow2'/><source file='/data/raw-guest.3f6c1a52-8d8b-4c1e-9d6e-0b8e5b7c2a11.qcow2'/><target dev='vda'/></disk>
              <disk type='file' device='cdrom'><driver name='qemu' type='raw'/><source file='/isos/a.iso'/><target dev='hdc'/><readonly/></disk>
            </devices></domain>
            """;

        var disks = System.Xml.Linq.XDocument.Parse(SnapshotXml.RetargetDisks(saved, configuration)).Root!.Element("devices")!.Elements("disk").ToList();

        Assert.Equal(("qcow2", "/data/raw-guest.3f6c1a52-8d8b-4c1e-9d6e-0b8e5b7c2a11.qcow2", false),
            ((string?)disks[0].Element("driver")!.Attribute("type"), (string?)disks[0].Element("source")!.Attribute("file"), disks[0].Elements("backingStore").Any()));
        Assert.Equal(("raw", "/isos/a.iso"), ((string?)disks[1].Element("driver")!.Attribute("type"), (string?)disks[1].Element("source")!.Attribute("file")));
    }
}
