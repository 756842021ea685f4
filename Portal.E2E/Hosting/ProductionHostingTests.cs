using Portal.E2E.Infrastructure;
using Portal.E2E.Pages;

namespace Portal.E2E.Hosting;

/// <summary>The portal as <c>scripts/run-portal.sh</c> starts it: the build output, in the Production environment.</summary>
public sealed class ProductionPortalFixture : PortalFixture
{
    protected override void Configure(PortalProcessOptions options) => options.Environment = "Production";
}

public sealed class ProductionHostingTests(ProductionPortalFixture portal) : PortalTest(portal), IClassFixture<ProductionPortalFixture>
{
    [Fact]
    public async Task SignIn_ProductionFromBuildOutput_PageBecomesInteractive()
    {
        await SignInAsync();

        await Expect(new VmsPage(Page).RunButton(DemoVms.BuildAgent)).ToBeEnabledAsync();
        using var script = await Portal.Process.Http.GetAsync("/_framework/blazor.web.js", TestContext.Current.CancellationToken);
        Assert.NotEmpty(await script.Content.ReadAsByteArrayAsync(TestContext.Current.CancellationToken));
    }
}
