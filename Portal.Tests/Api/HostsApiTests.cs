using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Portal.Core.Auth;
using Portal.Core.Hosts;
using static Portal.Tests.Api.ApiTestExtensions;

namespace Portal.Tests.Api;

/// <summary>GET /hosts with a second host the portal cannot reach: its own portal, since it adds a host.</summary>
public sealed class HostsApiTests(PortalApiFactory app) : IClassFixture<PortalApiFactory>
{
    [Fact]
    public async Task Hosts_UnreachableHostAdded_IsNonResponsiveBesideTheEmbeddedHostUp()
    {
        var added = await app.Services.GetRequiredService<AddHostCommand>()
            .ExecuteAsync(new AddHostRequest("kvm-lost", "qemu+tcp://127.0.0.1:1/system"), Actor.Admin("admin"), TestContext.Current.CancellationToken);
        Assert.True(added.Succeeded, added.Message);
        using var client = app.Admin();

        var hosts = await (await client.Get($"{Base}/hosts")).XmlAsync(HttpStatusCode.OK);

        Assert.Equal([("embedded-test-host", "up", "localhost"), ("kvm-lost", "non_responsive", "127.0.0.1")],
            hosts.Elements("host").Select(h => (h.Text("name"), h.Text("status"), h.Text("address"))).OrderBy(h => h.Item1));
        var lost = hosts.Elements("host").Single(h => h.Text("name") == "kvm-lost");
        var one = await (await client.Get((string)lost.Attribute("href")!)).XmlAsync(HttpStatusCode.OK);
        Assert.Equal("non_responsive", one.Text("status"));
    }
}
