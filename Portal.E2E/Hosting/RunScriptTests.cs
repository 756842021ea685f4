using System.Text.Json;
using Portal.E2E.Infrastructure;

namespace Portal.E2E.Hosting;

/// <summary>
/// The portal as the README's run command starts it (<c>bash scripts/run-portal.sh</c> from the repository root):
/// its appsettings.json must be read, or EF Core logs every SQL command at Information (72 MB in 40 minutes).
/// </summary>
public sealed class RunScriptTests
{
    [Fact]
    public async Task RunScript_JsonLogFormat_ReadsAppSettingsAndWritesQuietJsonLines()
    {
        var ct = TestContext.Current.CancellationToken;
        var options = new PortalProcessOptions { ThroughRunScript = true, StartTimeout = TimeSpan.FromMinutes(6) };
        options.Variables["LOG_FORMAT"] = "json";
        // appsettings.json's levels alone (the fixture turns on Blazor's interop log at Debug for the other tests).
        options.Variables["Logging__LogLevel__Microsoft.AspNetCore.Components.Server.Circuits.RemoteJSRuntime"] = null;
        await using var portal = await PortalProcess.StartAsync(options, ct);

        // Requests that read the database: sign-in page and health (which opens a connection).
        using (var login = await portal.Http.GetAsync("/account/login", ct)) Assert.True(login.IsSuccessStatusCode);
        Assert.Equal(200, (await portal.HealthAsync(ct)).HttpStatus);

        var entries = portal.OutputSince(0)
            .Where(l => l.StartsWith('{'))
            .Select(l => JsonDocument.Parse(l).RootElement)
            .Select(e => (Category: e.GetProperty("Category").GetString()!, Level: e.GetProperty("LogLevel").GetString()!))
            .ToList();
        var dump = portal.Dump();
        // JSON lines from the console logger (Logging:Console:FormatterName=json from LOG_FORMAT=json)...
        Assert.Contains(entries, e => e is { Category: "Microsoft.Hosting.Lifetime", Level: "Information" });
        // ...at appsettings.json's levels: the portal's own operations at Information, EF Core and ASP.NET quiet.
        Assert.True(entries.Any(e => e.Category.StartsWith("Portal.", StringComparison.Ordinal) && e.Level == "Information"),
            "No Information line from the portal's own categories:\n" + dump);
        Assert.False(entries.Any(e => e.Category.StartsWith("Microsoft.EntityFrameworkCore", StringComparison.Ordinal) && e.Level is "Information" or "Debug"),
            "EF Core logged below Warning, so appsettings.json was not read:\n" + dump);
        Assert.False(entries.Any(e => e.Category.StartsWith("Microsoft.AspNetCore", StringComparison.Ordinal) && e.Level is "Information" or "Debug"),
            "ASP.NET Core logged requests below Warning:\n" + dump);
    }
}
