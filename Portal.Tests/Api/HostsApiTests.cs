using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Portal.Core.Auth;
using Portal.Core.Hosts;
using static Portal.Tests.Api.ApiTestExtensions;

namespace Portal.Tests.Api;

/// <summary>
/// GET /hosts with a second host the portal cannot reach (its own portal, since it adds a host), and the addresses that
/// POST /hosts refuses because libvirt would run a program they name.
/// </summary>
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
    [Theory]
    [InlineData("kvm2/system?command=/bin/touch#")]
    [InlineData("qemu+ssh://root@kvm2/system?no_verify=1&COMM%41ND=/bin/touch")]
    [InlineData("qemu+ext:///system?command=/bin/touch")]
    public async Task AddHost_AddressThatWouldRunAProgram_Is400AndNothingIsAdded(string address)
    {
        using var client = app.Admin();
        var before = await (await client.Get($"{Base}/hosts")).XmlAsync(HttpStatusCode.OK);

        var fault = await (await client.Post($"{Base}/hosts", Xml($"<host><name>evil</name><address>{System.Security.SecurityElement.Escape(address)}</address></host>")))
            .FaultAsync(HttpStatusCode.BadRequest);

        Assert.Matches("runs a program|names a program to run", fault);
        var after = await (await client.Get($"{Base}/hosts")).XmlAsync(HttpStatusCode.OK);
        Assert.Equal(before.Elements("host").Count(), after.Elements("host").Count());
        Assert.DoesNotContain(after.Elements("host"), h => h.Text("name") == "evil");
    }
}
