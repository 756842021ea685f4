using System.Net;

namespace Portal.Tests.Api;

public sealed class ApiRootTests(PortalApiFactory app) : IClassFixture<PortalApiFactory>
{
    [Fact]
    public async Task Root_AsAdminInXml_LinksToEveryCollectionWithProductInfo()
    {
        using var client = app.Admin();
        var root = await (await client.Get(ApiTestExtensions.Base)).XmlAsync(HttpStatusCode.OK);

        Assert.Equal("api", root.Name.LocalName);
        var rels = root.Elements("link").Select(l => (string?)l.Attribute("rel")).ToHashSet();
        Assert.Superset(new HashSet<string?> { "vms", "clusters", "hosts", "storagedomains", "events" }, rels);
        Assert.Equal("4", root.Element("product_info")!.Element("version")!.Text("major"));
    }
}
