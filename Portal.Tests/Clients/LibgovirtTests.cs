namespace Portal.Tests.Clients;

/// <summary>
/// libgovirt 0.3.9 (Debian's libgovirt2, the library virt-viewer / remote-viewer use for oVirt) from Python through
/// GObject introspection. Each scenario gets a fresh portal.
/// </summary>
[Trait("Category", "Clients")]
public sealed class LibgovirtTests
{
    [Fact]
    public async Task Libgovirt_ListsVmsWithBasicAndToken_AndFetchesOne()
    {
        var output = await ClientScenario.RunAsync("govirt_scenarios.py", "list", needsSdk: false);
        Assert.Contains("step: listed 7 VMs with Basic", output);
        Assert.Contains("step: listed 7 VMs with a bearer token", output);
    }

    [Fact]
    public async Task Libgovirt_StartsAndStopsAVm_AndSeesRefusals()
    {
        var output = await ClientScenario.RunAsync("govirt_scenarios.py", "power", needsSdk: false);
        Assert.Contains("only a running VM can be stopped", output);
    }
}
