namespace Portal.E2E.Infrastructure;

/// <summary>
/// One real portal (a child process on a free loopback port, fresh data folder: demo VMs, new database) and one
/// headless Chromium, shared by the tests of a class (<c>IClassFixture&lt;PortalFixture&gt;</c>) or of a collection
/// (<c>ICollectionFixture&lt;PortalFixture&gt;</c>). Tests of one class run one after another and see each other's
/// changes; a class that must start from the demo state, or that locks the admin out, gets its own fixture.
/// To start the portal differently, derive and override <see cref="Configure"/>.
/// </summary>
public class PortalFixture : IAsyncLifetime
{
    private IPlaywright? _playwright;

    public PortalProcess Process { get; private set; } = null!;
    public IBrowser Browser { get; private set; } = null!;

    /// <summary>The portal's database, for backend assertions.</summary>
    public PortalDatabase Database { get; private set; } = null!;

    public Uri BaseUrl => Process.BaseUrl;
    public string AdminUser => Process.AdminUser;
    public string AdminPassword => Process.AdminPassword;

    /// <summary>Adjusts how the portal is started (environment variables, admin password).</summary>
    protected virtual void Configure(PortalProcessOptions options) { }

    public async ValueTask InitializeAsync()
    {
        var options = new PortalProcessOptions();
        Configure(options);
        // The portal and the browser start together: on two cores that halves the fixture's wait.
        var portal = PortalProcess.StartAsync(options);
        var browser = StartBrowserAsync();
        try
        {
            await Task.WhenAll(portal, browser);
        }
        catch
        {
            // Both have finished here; whichever started is stopped again, and the first failure is reported.
            if (portal.IsCompletedSuccessfully) await portal.Result.DisposeAsync();
            if (browser.IsCompletedSuccessfully) await browser.Result.DisposeAsync();
            _playwright?.Dispose();
            throw;
        }
        Process = portal.Result;
        Browser = browser.Result;
        Database = new PortalDatabase(Process.DatabasePath);
    }

    private async Task<IBrowser> StartBrowserAsync()
    {
        _playwright = await Playwright.CreateAsync();
        return await _playwright.Chromium.LaunchAsync(Chromium.LaunchOptions());
    }

    /// <summary>A new browser context (its own cookies, so its own sign-in and Blazor circuit) aimed at the portal.</summary>
    public Task<IBrowserContext> NewContextAsync() => Browser.NewContextAsync(new()
    {
        BaseURL = BaseUrl.ToString().TrimEnd('/'),
        Locale = "en-US",
        TimezoneId = "UTC",
        ViewportSize = new() { Width = 1400, Height = 900 },
    });

    public async ValueTask DisposeAsync()
    {
        if (Browser is not null) await Browser.DisposeAsync();
        _playwright?.Dispose();
        if (Process is not null) await Process.DisposeAsync();
        GC.SuppressFinalize(this);
    }
}
