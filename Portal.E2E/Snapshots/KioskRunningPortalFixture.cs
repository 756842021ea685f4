using System.Xml.Linq;
using Portal.Core.Hosts;
using Portal.E2E.Infrastructure;

namespace Portal.E2E.Snapshots;

/// <summary>
/// A portal whose embedded host already runs kiosk-stateless when the portal starts, as if it had been started
/// outside the portal; every other demo VM is as usual. This is how a stateless VM gets memory to restore: once the
/// portal runs it, it runs as Stateless and snapshots are refused (DESIGN, Create snapshot rule 2), so the memory
/// snapshot has to be taken while it runs from elsewhere.
/// </summary>
public sealed class KioskRunningPortalFixture : PortalFixture, IAsyncDisposable
{
    private static readonly XNamespace Test = "http://libvirt.org/schemas/domain/test/1.0";
    private readonly DirectoryInfo _node = Directory.CreateTempSubdirectory("portal-e2e-node-");

    protected override void Configure(PortalProcessOptions options)
    {
        var node = DemoNode.Build(_node.FullName);
        var kiosk = node.Root!.Elements("domain").Single(d => (string?)d.Element("name") == DemoVms.KioskStateless);
        kiosk.Element(Test + "runstate")!.Value = "1"; // virDomainState 1 = running
        var path = Path.Combine(_node.FullName, DemoNode.FileName);
        node.Save(path);
        options.Variables["Libvirt__Uri"] = "test://" + path;
    }

    async ValueTask IAsyncDisposable.DisposeAsync()
    {
        await DisposeAsync();
        try { _node.Delete(recursive: true); }
        catch (IOException) { }
    }
}
