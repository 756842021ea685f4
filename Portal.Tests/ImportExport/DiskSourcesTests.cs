using System.Xml.Linq;
using Portal.Core.ImportExport;

namespace Portal.Tests.ImportExport;

public sealed class DiskSourcesTests
{
    private const string Domain =
        "<domain type='qemu'><name>tiny</name><devices>" +
        "<disk type='file' device='disk'><driver name='qemu' type='qcow2'/><source file='/var/lib/portal-real/data/tiny.e2.qcow2'/>" +
        "<backingStore type='file'><format type='qcow2'/><source file='/var/lib/portal-real/data/tiny.qcow2'/></backingStore><target dev='vda' bus='virtio'/></disk>" +
        "<disk type='block' device='disk'><source dev='/dev/sda'/><target dev='vdb' bus='virtio'/></disk>" +
        "<disk type='file' device='cdrom'><target dev='hdc' bus='ide'/></disk>" +
        "</devices></domain>";

    private static OvfDisk Disk(string target) => new(target, Guid.NewGuid(), Guid.NewGuid(), 64 << 20);

    [Fact]
    public void Uncovered_HostDeviceNotExported_IsNamedAndAnEmptyCdromIsNot()
    {
        Assert.Equal(["vdb"], DiskSources.Uncovered(Domain, [Disk("vda")]));
    }

    [Fact]
    public void Uncovered_EveryDiskExported_IsEmpty()
    {
        Assert.Empty(DiskSources.Uncovered(Domain, [Disk("vda"), Disk("vdb")]));
    }

    [Fact]
    public void Retarget_ExportedDisks_BecomeQcow2FilesOnTheCopiesWithoutBackingChain()
    {
        var xml = XDocument.Parse(DiskSources.Retarget(Domain, new Dictionary<string, string>
        {
            ["vda"] = "/var/lib/portal-real/data/11111111-1111-4111-8111-111111111111.qcow2",
            ["vdb"] = "/var/lib/portal-real/data/22222222-2222-4222-8222-222222222222.qcow2",
        }));

        var disks = xml.Descendants("disk").ToList();
        Assert.All(disks.Take(2), d => Assert.Equal(("file", "qcow2"), ((string?)d.Attribute("type"), (string?)d.Element("driver")!.Attribute("type"))));
        Assert.Equal(["/var/lib/portal-real/data/11111111-1111-4111-8111-111111111111.qcow2", "/var/lib/portal-real/data/22222222-2222-4222-8222-222222222222.qcow2"],
            disks.Take(2).Select(d => (string?)d.Element("source")!.Attribute("file")));
        Assert.Empty(xml.Descendants("backingStore"));
        Assert.Null(disks[1].Element("source")!.Attribute("dev"));
        Assert.Null(disks[2].Element("source"));
    }
}
