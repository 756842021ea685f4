using System.Xml.Linq;
using Portal.Core.Hypervisor;
using Portal.Core.Libvirt;
using Portal.Core.Storage;

namespace Portal.Tests.Storage;

/// <summary>
/// The pool and volume XML the portal sends to libvirt. The logical (LVM) pool is tested down to these documents: this
/// kind of machine has no device-mapper, so a volume group's logical volumes cannot be activated here.
/// </summary>
public sealed class StorageXmlTests
{
    [Fact]
    public void LogicalPool_NewVolumeGroup_NamesTheGroupItsDevicesAndItsDirectory()
    {
        var xml = XElement.Parse(StoragePoolXml.Logical("fast-block", "vg_portal", ["/dev/sdc", "/dev/sdd"]));

        Assert.Equal(
            "<pool type=\"logical\"><name>fast-block</name><source><device path=\"/dev/sdc\" /><device path=\"/dev/sdd\" />" +
            "<name>vg_portal</name><format type=\"lvm2\" /></source><target><path>/dev/vg_portal</path></target></pool>",
            xml.ToString(SaveOptions.DisableFormatting));
    }

    [Fact]
    public void LogicalPool_ExistingVolumeGroup_HasNoDevicesToBuildOn()
    {
        var source = XElement.Parse(StoragePoolXml.Logical("vg-domain", "vg0", [])).Element("source")!;

        Assert.Empty(source.Elements("device"));
        Assert.Equal("vg0", source.Element("name")!.Value);
    }

    [Fact]
    public void DiskPool_Device_IsGptWithVolumesUnderDev()
    {
        var xml = StoragePoolXml.Disk("san-block", "/dev/loop3");

        Assert.Equal("<pool type=\"disk\"><name>san-block</name><source><device path=\"/dev/loop3\" /><format type=\"gpt\" /></source>" +
                     "<target><path>/dev</path></target></pool>", xml);
    }

    [Fact]
    public void DirectoryPool_Path_IsTheTarget()
    {
        Assert.Equal("<pool type=\"dir\"><name>data2</name><target><path>/srv/data2</path></target></pool>", StoragePoolXml.Directory("data2", "/srv/data2"));
    }

    [Fact]
    public void PoolXml_NameWithMarkup_IsEscapedNotInjected()
    {
        var xml = XElement.Parse(StoragePoolXml.Directory("a<b>&", "/srv/x'\"<y>"));

        Assert.Equal(("a<b>&", "/srv/x'\"<y>"), (xml.Element("name")!.Value, xml.Element("target")!.Element("path")!.Value));
        Assert.Equal(2, xml.Elements().Count());
    }

    [Fact]
    public void LogicalVolume_MemoryDump_IsThickWithoutAFormat()
    {
        var volume = XElement.Parse(StorageVolumeXml.Build("logical", "8d1c4f3e-0000-4000-8000-000000000001", 343_932_928, preallocate: true, VolumeFormat.Raw));

        // allocation == capacity: a plain LV; a smaller allocation would make libvirt create a thin snapshot LV.
        Assert.Equal(
            "<volume><name>8d1c4f3e-0000-4000-8000-000000000001</name><capacity unit=\"bytes\">343932928</capacity>" +
            "<allocation unit=\"bytes\">343932928</allocation><target><permissions><mode>0600</mode></permissions></target></volume>",
            volume.ToString(SaveOptions.DisableFormatting));
    }

    [Fact]
    public void LogicalVolume_NotAskedToPreallocate_IsThickAnyway()
    {
        var volume = XElement.Parse(StorageVolumeXml.Build("logical", "conf", 1 << 20, preallocate: false, VolumeFormat.Raw));

        Assert.Equal(volume.Element("capacity")!.Value, volume.Element("allocation")!.Value);
    }

    [Fact]
    public void DiskVolume_Partition_HasThePartitionTypeNone()
    {
        var volume = XElement.Parse(StorageVolumeXml.Build("disk", "loop0p1", 1 << 20, preallocate: true, VolumeFormat.Raw));

        Assert.Equal("none", (string?)volume.Element("target")!.Element("format")!.Attribute("type"));
    }

    [Theory]
    [InlineData(false, VolumeFormat.Raw, "raw", "0")]
    [InlineData(true, VolumeFormat.Raw, "raw", "1048576")]
    [InlineData(false, VolumeFormat.Qcow2, "qcow2", "0")]
    public void FileVolume_PreallocationAndFormat_AreAsAsked(bool preallocate, VolumeFormat format, string type, string allocation)
    {
        var volume = XElement.Parse(StorageVolumeXml.Build("dir", "v", 1 << 20, preallocate, format));

        Assert.Equal((type, allocation), ((string?)volume.Element("target")!.Element("format")!.Attribute("type"), volume.Element("allocation")!.Value));
    }

    [Theory]
    [InlineData("/dev/sdb", new string[0], "sdb1")]
    [InlineData("/dev/sdb", new[] { "sdb1", "sdb2" }, "sdb3")]
    [InlineData("/dev/loop0", new[] { "loop0p2" }, "loop0p1")]
    [InlineData("/dev/nvme0n1", new[] { "nvme0n1p1", "nvme0n1p3" }, "nvme0n1p2")]
    [InlineData("/dev/loop0p", new[] { "loop0p1" }, "loop0p2")]
    public void DiskPartitionNames_Next_IsTheLowestFreeSlotAfterTheDeviceName(string device, string[] existing, string expected)
    {
        Assert.Equal(expected, DiskPartitionNames.Next(device, existing));
    }
}
