namespace Portal.E2E.Infrastructure;

/// <summary>
/// The distribution's Chromium, driven by Playwright without a browser download (never run <c>playwright install</c>).
/// <c>E2E_CHROMIUM</c> names another executable; <c>E2E_HEADED=1</c> shows the window.
/// </summary>
public static class Chromium
{
    public static BrowserTypeLaunchOptions LaunchOptions() => new()
    {
        ExecutablePath = Executable(),
        Headless = Environment.GetEnvironmentVariable("E2E_HEADED") != "1",
        Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
            "--disable-sync", "--no-first-run", "--disable-quic"],
    };

    private static string Executable()
    {
        if (Environment.GetEnvironmentVariable("E2E_CHROMIUM") is { Length: > 0 } custom) return custom;
        foreach (var name in new[] { "chromium", "chromium-browser", "google-chrome" })
            foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
                if (File.Exists(Path.Combine(dir, name))) return Path.Combine(dir, name);
        throw new FileNotFoundException("No chromium on PATH. Install it: apt-get install -y --no-install-recommends chromium");
    }
}
