using System.Diagnostics;
using System.Text;
using Portal.Tests.Api;

namespace Portal.Tests.Clients;

/// <summary>
/// Runs one scenario of a real oVirt client (a Python script in <c>Clients/scripts</c>) against a fresh portal on a
/// real loopback port, and fails with the script's whole output when it does not print PASS.
/// </summary>
public static class ClientScenario
{
    private static readonly string Here = Path.Combine(AppContext.BaseDirectory, "Clients");

    /// <summary>Python as Debian ships it: the SDK is built for it, and python3-gi / python3-pycurl are its packages.</summary>
    public const string Python = "/usr/bin/python3";

    private static readonly Lazy<Task<string>> Sdk = new(BuildSdkAsync);

    /// <summary>Every step the script printed, for the test's output.</summary>
    public static async Task<string> RunAsync(string script, string scenario, bool needsSdk)
    {
        await using var app = PortalApiFactory.OnKestrel();
        await app.InitializeAsync();
        var pythonPath = needsSdk ? await Sdk.Value : null;
        var (code, output) = await RunProcessAsync(Python,
            [Path.Combine(Here, "scripts", script), scenario, app.BaseAddress.ToString().TrimEnd('/'), PortalApiFactory.AdminPassword],
            pythonPath, TimeSpan.FromMinutes(5));
        TestContext.Current.TestOutputHelper?.WriteLine(output);
        Assert.True(code == 0 && output.Contains("PASS"), $"{script} {scenario} failed (exit {code}):\n{output}");
        return output;
    }

    /// <summary>
    /// Builds oVirt's Python SDK 4.6.3 from the vendored source (Apache-2.0) with the vendored script, once per test
    /// run, into a folder of the temp directory that later runs reuse; returns the folder for PYTHONPATH.
    /// </summary>
    private static async Task<string> BuildSdkAsync()
    {
        var target = Path.Combine(Path.GetTempPath(), "portal-tests-ovirt-sdk-4.6.3");
        var (code, output) = await RunProcessAsync("/bin/bash", [Path.Combine(Here, "vendor", "build-ovirt-sdk4.sh"), target], null, TimeSpan.FromMinutes(10));
        Assert.True(code == 0, $"Building the oVirt SDK failed (exit {code}):\n{output}");
        return output.Trim().Split('\n').Last().Trim();
    }

    private static async Task<(int Code, string Output)> RunProcessAsync(string file, string[] args, string? pythonPath, TimeSpan timeout)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) start.ArgumentList.Add(a);
        if (pythonPath is not null) start.Environment["PYTHONPATH"] = pythonPath;
        start.Environment["PYTHONUNBUFFERED"] = "1";
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"{file} did not start.");
        var output = new StringBuilder();
        var lines = new object();
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (lines) output.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (lines) output.AppendLine(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        cts.CancelAfter(timeout);
        try { await process.WaitForExitAsync(cts.Token); }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync(CancellationToken.None);
            lock (lines) output.AppendLine($"(killed after {timeout})");
            return (-1, output.ToString());
        }
        process.WaitForExit(); // flushes the redirected streams
        lock (lines) return (process.ExitCode, output.ToString());
    }
}
