using System.Xml.Linq;
using Microsoft.EntityFrameworkCore;
using Portal.Core.Hosts;
using Portal.Core.ImportExport;
using Portal.Core.Vms;
using Portal.Tests.Support;

namespace Portal.Tests.ImportExport;

/// <summary>An exported OVF is owner-only (0600 in 0700 folders) and carries no console password.</summary>
public sealed class ExportFileSecurityTests : PortalTest
{
    [Fact]
    public void Strip_GraphicsPasswords_AreRemovedAndTheXmlStaysValid()
    {
        const string xml = """
            <domain type='test'><name>x</name><devices>
              <graphics type='vnc' port='-1' autoport='yes' passwd='s3cret-vnc' passwdValidTo='2030-01-01T00:00:00'/>
              <graphics type="spice" autoport="yes" passwd="s3cret-spice"><listen type="address"/></graphics>
            </devices></domain>
            """;

        var stripped = OvfSecrets.Strip(xml);

        Assert.DoesNotContain("s3cret", stripped);
        Assert.DoesNotContain("passwd", stripped);
        var graphics = XElement.Parse(stripped).Descendants("graphics").ToList();
        Assert.Equal(["vnc", "spice"], graphics.Select(g => g.Attribute("type")!.Value));
        Assert.Equal("-1", graphics[0].Attribute("port")!.Value);
    }

    [Fact]
    public async Task Export_VmWithAConsolePassword_OvfIsOwnerOnlyWithoutThePassword()
    {
        var web = await Portal.VmIdAsync("web-frontend");
        await PortalFixture.Succeeds(Portal.StopAsync(web));
        var xml = XElement.Parse(await Portal.Hypervisor.GetDomainXmlAsync(web, inactive: true, Ct));
        xml.Element("devices")!.Add(XElement.Parse("<graphics type='vnc' port='-1' autoport='yes' passwd='console-s3cret'/>"));
        await Portal.Hypervisor.DefineDomainAsync(xml.ToString(), Ct);
        Assert.Contains("console-s3cret", await Portal.Hypervisor.GetDomainXmlAsync(web, inactive: true, Ct));

        await using var db = await Portal.DbAsync();
        var export = await db.StorageDomains.SingleAsync(d => d.PoolName == DemoNode.ExportPool, Ct);
        await PortalFixture.Succeeds(Portal.Command<ExportVmCommand>().ExecuteAsync(new ExportVmRequest(web, export.Id), PortalFixture.Alice, Ct));

        var pool = await Portal.Hypervisor.GetPoolAsync(export.PoolName, Ct);
        var dir = Path.Combine(pool.TargetPath!, "master", "vms", web.ToString());
        var file = Path.Combine(dir, $"{web}.ovf");
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(file));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(dir));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(Path.GetDirectoryName(dir)!));
        var ovf = await File.ReadAllTextAsync(file, Ct);
        Assert.DoesNotContain("console-s3cret", ovf);
        // Also inside the base64 copies of the configurations.
        var read = await Portal.Get<ExportDomainStore>().ReadAsync(export, web, Ct);
        Assert.DoesNotContain("console-s3cret", read.DomainXml);
        Assert.All(read.Snapshots, s => Assert.DoesNotContain("console-s3cret", s.Configuration));
    }
}
