using System.Xml.Linq;
using System.Text;
using Portal.Core.ImportExport;

namespace Portal.Tests.ImportExport;

public sealed class OvfDocumentTests
{
    private static readonly Guid Sd = Guid.NewGuid(), Pool = Guid.NewGuid(), Image = Guid.NewGuid();

    private static MemoryReference Memory() => new(Sd, Pool, Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid());

    private static OvfVm Sample()
    {
        var shared = Memory();
        var regular = new OvfSnapshot(Guid.NewGuid(), OvfDocument.RegularType, "before upgrade <&> \"quoted\"", new DateTime(2026, 11, 26, 10, 0, 0, 123, DateTimeKind.Utc),
            null, shared, 1_300_234_240, "<domain type='test'><name>web</name></domain>", Guid.NewGuid().ToString(), "<domainsnapshot><name>x</name></domainsnapshot>");
        var active = new OvfSnapshot(Guid.NewGuid(), OvfDocument.ActiveType, "Active VM", new DateTime(2026, 11, 26, 11, 0, 0, DateTimeKind.Utc),
            regular.Id, shared, 1_300_234_240, "<domain type='test'><name>web</name></domain>", regular.HypervisorName, regular.HypervisorXml,
            [new OvfDisk("vda", Image, Guid.NewGuid(), 64 << 20), new OvfDisk("vdb", Guid.NewGuid(), Guid.NewGuid(), 1L << 30)]);
        regular = regular with { Disks = [new OvfDisk("vda", Image, Guid.NewGuid(), 64 << 20)] };
        return new OvfVm(Guid.NewGuid(), "web", "Production", "4.7", true, 1024, new DateTime(2026, 11, 26, 12, 0, 0, DateTimeKind.Utc),
            "<domain type='test'><name>web</name><uuid>x</uuid></domain>", [regular, active]);
    }

    private static OvfVm RoundTrip(OvfVm vm)
    {
        using var stream = new MemoryStream();
        OvfDocument.Build(vm).Save(stream);
        stream.Position = 0;
        return OvfDocument.Parse(stream);
    }

    private static OvfException Rejected(string xml) =>
        Assert.Throws<OvfException>(() => OvfDocument.Parse(new MemoryStream(Encoding.UTF8.GetBytes(xml))));

    private static string Valid() => OvfDocument.Build(Sample()).ToString();

    [Fact]
    public void RoundTrip_EverySnapshot_KeepsItsMemoryReference()
    {
        var vm = Sample();
        var back = RoundTrip(vm);

        Assert.Equal((vm.Id, vm.Name, vm.ClusterName, vm.CompatibilityVersion, vm.IsStateless, vm.MemoryMiB, vm.DomainXml),
            (back.Id, back.Name, back.ClusterName, back.CompatibilityVersion, back.IsStateless, back.MemoryMiB, back.DomainXml));
        Assert.Equal(vm.Snapshots.Count, back.Snapshots.Count);
        foreach (var (a, b) in vm.Snapshots.Zip(back.Snapshots))
        {
            Assert.Equal(a.Memory, b.Memory);
            Assert.Equal(a.DiskList, b.DiskList);
            Assert.Equal((a.Id, a.Type, a.Description, a.CreatedAt, a.ParentId, a.MemorySizeBytes, a.Configuration, a.HypervisorName, a.HypervisorXml),
                (b.Id, b.Type, b.Description, b.CreatedAt, b.ParentId, b.MemorySizeBytes, b.Configuration, b.HypervisorName, b.HypervisorXml));
        }
        Assert.Equal(back.Snapshots[0].Memory, back.Active!.Memory);
    }

    [Fact]
    public void Build_MemoryReference_IsTheSixGuidTextForm()
    {
        var doc = OvfDocument.Build(Sample());
        var memory = doc.Descendants("Memory").First().Value;
        Assert.Equal(6, memory.Split(',').Length);
        Assert.All(memory.Split(','), part => Assert.True(Guid.TryParse(part, out _)));
    }

    [Fact]
    public void MemoryReference_LegacyFourGuidForm_IsAccepted()
    {
        var text = $"{Guid.NewGuid()},{Guid.NewGuid()},{Guid.NewGuid()},{Guid.NewGuid()}";
        Assert.True(MemoryReference.TryParse(text, out var reference, out _));
        Assert.Null(reference!.ConfVolumeId);
        Assert.Equal(text, reference.ToString());
    }

    [Theory]
    [InlineData("../../etc/passwd,a,b,c")]
    [InlineData("00000000-0000-0000-0000-000000000000,/var/lib/x,00000000-0000-0000-0000-000000000000,00000000-0000-0000-0000-000000000000")]
    [InlineData("a,b,c")]
    [InlineData("")]
    public void MemoryReference_NotGuids_IsRefusedWithAReason(string text)
    {
        Assert.False(MemoryReference.TryParse(text, out _, out var error));
        Assert.False(string.IsNullOrEmpty(error));
    }

    [Fact]
    public void Parse_Dtd_IsRefused()
    {
        var xml = "<?xml version=\"1.0\"?><!DOCTYPE e [<!ENTITY x SYSTEM \"file:///etc/passwd\">]>" + Valid().Replace("<Name>web</Name>", "<Name>&x;</Name>");
        Assert.Contains("DTD", Rejected(xml).Message);
    }

    [Fact]
    public void Parse_NotWellFormed_SaysSo()
    {
        Assert.Contains("not well-formed", Rejected(Valid()[..^20]).Message);
    }

    [Fact]
    public void Parse_PathTraversalInAMemoryReference_IsRefused()
    {
        var doc = OvfDocument.Build(Sample());
        doc.Descendants("Memory").First().Value = $"{Sd},{Pool},../../../etc,shadow";
        var error = Rejected(doc.ToString());
        Assert.Contains("not a GUID", error.Message);
    }

    [Fact]
    public void Parse_Oversized_IsRefused()
    {
        var doc = OvfDocument.Build(Sample());
        doc.Descendants("Description").First().Value = new string('a', OvfDocument.MaxBytes + 1);
        Assert.IsType<OvfException>(Rejected(doc.ToString()));
    }

    [Fact]
    public void Parse_NoActiveSnapshot_IsRefused()
    {
        var doc = OvfDocument.Build(Sample());
        foreach (var t in doc.Descendants("Type").Where(t => t.Value == OvfDocument.ActiveType).ToList()) t.Value = OvfDocument.RegularType;
        Assert.Contains("exactly one ACTIVE", Rejected(doc.ToString()).Message);
    }

    [Fact]
    public void Build_DiskImages_AreReferencedOnceEachByGuids()
    {
        var vm = Sample();
        var files = OvfDocument.Build(vm).Root!.Element("References")!.Elements("File")
            .Where(f => (string?)f.Attribute(XName.Get("description", "http://schemas.dmtf.org/ovf/envelope/1/")) == "disk image").ToList();

        Assert.Equal(3, files.Count);
        Assert.Equal(vm.Snapshots.SelectMany(s => s.DiskList).Select(d => $"{d.ImageId}/{d.VolumeId}").Order(), files.Select(f => (string)f.Attribute(XName.Get("href", "http://schemas.dmtf.org/ovf/envelope/1/"))!).Order());
    }

    [Theory]
    [InlineData("target", "../../etc/shadow", "device name")]
    [InlineData("target", "vda/../x", "device name")]
    [InlineData("imageId", "/var/lib/portal-real/data/tiny.qcow2", "not a GUID")]
    [InlineData("{http://schemas.dmtf.org/ovf/envelope/1/}fileRef", "tiny.qcow2", "not a GUID")]
    [InlineData("{http://schemas.dmtf.org/ovf/envelope/1/}capacity", "-1", "no capacity")]
    public void Parse_HostileDisk_IsRefused(string attribute, string value, string reason)
    {
        var doc = OvfDocument.Build(Sample());
        doc.Descendants("Disk").First().SetAttributeValue(XName.Get(attribute), value);

        Assert.Contains(reason, Rejected(doc.ToString()).Message);
    }

    [Fact]
    public void Parse_SameDiskTwiceInASnapshot_IsRefused()
    {
        var doc = OvfDocument.Build(Sample());
        var disks = doc.Descendants("Disks").Last();
        disks.Elements("Disk").Last().SetAttributeValue("target", "vda");

        Assert.Contains("lists disk vda twice", Rejected(doc.ToString()).Message);
    }
}
