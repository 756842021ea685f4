using System.Diagnostics;
using System.Net;
using static Portal.Benchmarks.LatencyBenchmark;

namespace Portal.Benchmarks;

/// <summary>
/// The portal as it runs in production: <c>dotnet Portal.dll</c> (this build's configuration) as a child process on a
/// loopback port, with <paramref name="settings"/> as its environment (<c>A:B</c> becomes <c>A__B</c>; a null value
/// removes the variable). Killed, with its children, when disposed.
/// </summary>
internal sealed class PortalProcess : IAsyncDisposable
{
    private readonly Stopwatch _since = Stopwatch.StartNew();
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(2) };

    private PortalProcess(Process process, string baseUrl)
    {
        Process = process;
        BaseUrl = baseUrl;
    }

    public Process Process { get; }
    public string BaseUrl { get; }

    public static PortalProcess Start(IReadOnlyDictionary<string, string?> settings)
    {
        var dll = PortalDll();
        var baseUrl = $"http://127.0.0.1:{FreePort()}";
        var psi = new ProcessStartInfo("dotnet")
        {
            ArgumentList = { dll, "--urls", baseUrl },
            WorkingDirectory = Path.GetDirectoryName(dll)!,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var (key, value) in settings)
        {
            var name = key.Replace(":", "__");
            if (value is null) psi.Environment.Remove(name);
            else psi.Environment[name] = value;
        }
        var process = Process.Start(psi)!;
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return new PortalProcess(process, baseUrl);
    }

    /// <summary>Milliseconds from the start of the process to the first 200 on <paramref name="path"/>.</summary>
    public async Task<double> FirstOkAsync(string path, TimeSpan limit)
    {
        while (true)
        {
            if (Process.HasExited) throw new InvalidOperationException($"The portal exited with code {Process.ExitCode}.");
            if (_since.Elapsed > limit) throw new TimeoutException($"No 200 from {path} within {limit.TotalSeconds:F0} s.");
            try
            {
                using var response = await _http.GetAsync(BaseUrl + path);
                if (response.StatusCode == HttpStatusCode.OK) return _since.Elapsed.TotalMilliseconds;
            }
            catch (HttpRequestException) { }
            catch (TaskCanceledException) { }
            await Task.Delay(10);
        }
    }

    public async ValueTask DisposeAsync()
    {
        _http.Dispose();
        if (!Process.HasExited) Process.Kill(entireProcessTree: true);
        await Process.WaitForExitAsync();
        Process.Dispose();
    }
}
