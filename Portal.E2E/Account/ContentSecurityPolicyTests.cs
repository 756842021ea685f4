using Microsoft.Playwright;
using Portal.E2E.Infrastructure;
using Portal.E2E.Pages;

namespace Portal.E2E.Account;

/// <summary>
/// The Content-Security-Policy allows what Blazor and MudBlazor need and nothing else: the pages work (interactive,
/// live) and the browser reports no violation, on the portal's pages and on the API reference.
/// </summary>
[Collection(SharedPortalCollection.Name)]
public sealed class ContentSecurityPolicyTests(PortalFixture portal) : PortalTest(portal)
{
    [Fact]
    public async Task Pages_UnderThePolicy_WorkAndReportNoViolation()
    {
        var violations = new List<string>();
        Page.Console += (_, m) => { if (m.Text.Contains("Content Security Policy", StringComparison.OrdinalIgnoreCase)) violations.Add(m.Text); };
        await Page.AddInitScriptAsync("document.addEventListener('securitypolicyviolation', e => console.error('Content Security Policy violation: ' + e.violatedDirective + ' ' + e.blockedURI + ' on ' + document.location.pathname + ' by ' + e.sourceFile + ':' + e.lineNumber));");
        var external = new List<string>();
        Page.Request += (_, r) => { if (!r.Url.StartsWith(Portal.BaseUrl.ToString().TrimEnd('/')) && !r.Url.StartsWith("data:")) external.Add(r.Url); };

        await SignInAsync();
        var csp = (await Page.ReloadAsync())!.Headers["content-security-policy"];
        Assert.Contains("frame-ancestors 'none'", csp);
        await new PortalShell(Page).WaitInteractiveAsync();
        await OpenVmDetailsAsync(DemoVms.All[0].Name);
        await Page.GotoAsync("/api-reference/");
        await Expect(Page).ToHaveTitleAsync("VirtPortal API reference", new() { Timeout = 30_000 });
        await Expect(Page.GetByRole(AriaRole.Heading, new() { Name = "VirtPortal REST API" }).First).ToBeVisibleAsync(new() { Timeout = 30_000 });
        await Expect(Page.GetByRole(AriaRole.Link, new() { Name = "/ovirt-engine/api/hosts/{id}" }).First).ToBeAttachedAsync(new() { Timeout = 30_000 });

        Assert.Empty(violations);
        Assert.Empty(external);
    }
}
