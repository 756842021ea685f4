using System.Text;
using System.Text.RegularExpressions;
using Portal.E2E.Pages;

namespace Portal.E2E.Infrastructure;

/// <summary>
/// Base of every end-to-end test: a fresh browser context and <see cref="Page"/> per test (not signed in), helpers
/// to sign in and to open pages, and <see cref="Db"/> for the backend half of an assertion. When a test fails, its
/// report gets the portal's output during the test, the browsers' console errors, and a screenshot and a
/// Playwright trace of every page (under <c>TestResults/playwright/</c> beside the test assembly).
/// </summary>
public abstract partial class PortalTest(PortalFixture portal) : IAsyncLifetime
{
    private readonly List<IBrowserContext> _contexts = [];
    private readonly List<string> _browserLog = [];
    private int _outputMark;

    protected PortalFixture Portal => portal;

    /// <summary>The test's first page, in its own context, not signed in.</summary>
    protected IPage Page { get; private set; } = null!;

    protected PortalDatabase Db => portal.Database;

    static PortalTest()
    {
        // Generous: the portal, Chromium and the test share two cores with whatever else the machine builds.
        SetDefaultExpectTimeout(15_000);
    }

    public virtual async ValueTask InitializeAsync()
    {
        _outputMark = portal.Process.OutputMark;
        Page = await NewPageAsync();
    }

    /// <summary>A page in a new browser context: its own cookies, so its own sign-in and its own Blazor circuit.</summary>
    protected async Task<IPage> NewPageAsync()
    {
        var context = await portal.NewContextAsync();
        context.SetDefaultTimeout(15_000);
        _contexts.Add(context);
        await context.Tracing.StartAsync(new() { Screenshots = true, Snapshots = true });
        var page = await context.NewPageAsync();
        var label = $"page {_contexts.Count}";
        page.Console += (_, m) => { if (m.Type is "error" or "warning") Log($"{label} console.{m.Type}: {m.Text}"); };
        page.PageError += (_, e) => Log($"{label} page error: {e}");
        page.RequestFailed += (_, r) => Log($"{label} request failed: {r.Method} {r.Url} {r.Failure}");
        return page;
    }

    /// <summary>A new context signed in as the admin (or <paramref name="user"/>), on /vms and interactive.</summary>
    protected async Task<IPage> NewSignedInPageAsync(string? user = null, string? password = null)
    {
        var page = await NewPageAsync();
        await SignInAsync(page, user, password);
        return page;
    }

    /// <summary>
    /// Signs in through the login form and waits for the VMs page to be interactive. Defaults: <see cref="Page"/> and
    /// the admin.
    /// </summary>
    protected async Task SignInAsync(IPage? page = null, string? user = null, string? password = null)
    {
        page ??= Page;
        await page.GotoAsync(LoginPage.Path);
        await new LoginPage(page).SubmitAsync(user ?? portal.AdminUser, password ?? portal.AdminPassword);
        await Expect(page).ToHaveURLAsync(VmsUrl());
        await new PortalShell(page).WaitInteractiveAsync();
    }

    /// <summary>Opens /vms (signed in already) and waits until it is interactive.</summary>
    protected async Task<VmsPage> OpenVmsAsync(IPage? page = null)
    {
        page ??= Page;
        await page.GotoAsync(VmsPage.Path);
        await new PortalShell(page).WaitInteractiveAsync();
        var vms = new VmsPage(page);
        await Expect(vms.Rows.First).ToBeVisibleAsync();
        return vms;
    }

    /// <summary>
    /// Opens a VM's details page the way a user does, from its link in the grid, and waits until it is interactive.
    /// Returns the VM's id (the libvirt UUID), which is also in the URL: <c>/vms/{id}</c>.
    /// </summary>
    protected async Task<Guid> OpenVmDetailsAsync(string vmName, IPage? page = null)
    {
        page ??= Page;
        var vms = await OpenVmsAsync(page);
        await vms.Link(vmName).ClickAsync();
        var id = (await Db.VmAsync(vmName)).Id;
        await Expect(page).ToHaveURLAsync(new Regex($"/vms/{id}$", RegexOptions.IgnoreCase));
        await new PortalShell(page).WaitInteractiveAsync();
        return id;
    }

    /// <summary>
    /// Marks the page's JavaScript realm, so <see cref="ExpectNotReloadedAsync"/> can prove a change arrived live
    /// (a reload or a full navigation starts a new realm without the mark).
    /// </summary>
    protected static Task MarkNoReloadAsync(IPage page) => page.EvaluateAsync("() => { window.__e2eNoReload = true; }");

    protected static async Task ExpectNotReloadedAsync(IPage page) =>
        Assert.True(await page.EvaluateAsync<bool>("() => window.__e2eNoReload === true"), "The page was reloaded; the change should have arrived live.");

    protected static Regex VmsUrl() => new(@"/vms$");

    private void Log(string line)
    {
        lock (_browserLog) _browserLog.Add($"{DateTime.UtcNow:HH:mm:ss.fff} {line}");
    }

    public virtual async ValueTask DisposeAsync()
    {
        var failed = TestContext.Current.TestState?.Result is TestResult.Failed;
        if (failed) await ReportFailureAsync();
        foreach (var context in _contexts)
        {
            try { await context.CloseAsync(); }
            catch (PlaywrightException) { }
        }
        GC.SuppressFinalize(this);
    }

    private async Task ReportFailureAsync()
    {
        var name = SafeName().Replace(TestContext.Current.Test?.TestDisplayName ?? "test", "_");
        var folder = Path.Combine(AppContext.BaseDirectory, "TestResults", "playwright", name);
        Directory.CreateDirectory(folder);
        var report = new StringBuilder();
        for (var i = 0; i < _contexts.Count; i++)
        {
            try
            {
                foreach (var (page, j) in _contexts[i].Pages.Select((p, j) => (p, j)))
                {
                    report.AppendLine($"page {i + 1}.{j + 1} at {page.Url}");
                    await page.ScreenshotAsync(new() { Path = Path.Combine(folder, $"page{i + 1}.{j + 1}.png"), FullPage = true });
                }
                await _contexts[i].Tracing.StopAsync(new() { Path = Path.Combine(folder, $"trace{i + 1}.zip") });
            }
            catch (PlaywrightException ex) { report.AppendLine($"context {i + 1}: no screenshot/trace ({ex.Message})"); }
        }
        report.AppendLine($"Screenshots and traces (npx playwright show-trace FILE): {folder}");
        lock (_browserLog)
        {
            report.AppendLine("--- browser ---");
            foreach (var l in _browserLog) report.AppendLine(l);
        }
        report.AppendLine($"--- portal output during the test ({portal.BaseUrl}, data {portal.Process.DataDirectory}) ---");
        foreach (var l in portal.Process.OutputSince(_outputMark)) report.AppendLine(l);
        TestContext.Current.TestOutputHelper?.WriteLine(report.ToString());
        await File.WriteAllTextAsync(Path.Combine(folder, "report.txt"), report.ToString());
    }

    [GeneratedRegex(@"[^A-Za-z0-9_.-]+")]
    private static partial Regex SafeName();
}
