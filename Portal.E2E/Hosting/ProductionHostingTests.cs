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
    [Fact(Skip = "Portal bug: run from its build output in Production (as scripts/run-portal.sh does), the portal serves "
                 + "_framework/blazor.web.js and MudBlazor's css/js as empty 200s (static web assets are only enabled in "
                 + "Development or a published folder), so no page ever becomes interactive. Unskip when fixed.")]
    public async Task SignIn_ProductionFromBuildOutput_PageBecomesInteractive()
    {
        await SignInAsync();

        await Expect(new VmsPage(Page).RunButton(DemoVms.BuildAgent)).ToBeEnabledAsync();
        using var script = await Portal.Process.Http.GetAsync("/_framework/blazor.web.js", TestContext.Current.CancellationToken);
        Assert.NotEmpty(await script.Content.ReadAsByteArrayAsync(TestContext.Current.CancellationToken));
    }
}
