using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.RegularExpressions;

namespace Portal.E2E.Infrastructure;

/// <summary>How to start one portal; the defaults give a fresh embedded libvirt (demo VMs) and a fresh database.</summary>
public sealed class PortalProcessOptions
{
    /// <summary>The first admin's password (user <c>admin</c>).</summary>
    /// <remarks>Default: <c>E2e-admin-pass1</c>.</remarks>
    public string AdminPassword { get; set; } = "E2e-admin-pass1";

    /// <summary>ASPNETCORE_ENVIRONMENT: Production, as scripts/run-portal.sh runs it (the portal serves its static web assets from a build output in every environment).</summary>
    /// <remarks>Default: <c>Production</c>.</remarks>
    public string Environment { get; set; } = "Production";

    /// <summary>Extra environment variables for the portal (<c>Libvirt__Uri</c>, <c>Logging__LogLevel__Default</c>…); null removes one.</summary>
    /// <remarks>Default: empty.</remarks>
    public Dictionary<string, string?> Variables { get; } = [];

    /// <summary>How long the portal may take to answer <c>/healthz/ready</c> with 200.</summary>
    /// <remarks>Default: 90 seconds (a cold start on a busy 2-core machine takes 3–10).</remarks>
    public TimeSpan StartTimeout { get; set; } = TimeSpan.FromSeconds(90);

    /// <summary>A data folder to start on (a portal restarted on the data of one that stopped), kept when disposed.</summary>
    /// <remarks>Default: null, a fresh temporary folder, deleted when disposed.</remarks>
    public string? DataDirectory { get; set; }

    /// <summary>
    /// Start the portal as the README says, with <c>bash scripts/run-portal.sh</c> from the repository root (it builds
    /// the Release configuration first, so give it a longer <see cref="StartTimeout"/>).
    /// </summary>
    /// <remarks>Default: false, <c>dotnet Portal.dll</c> from its build output.</remarks>
    public bool ThroughRunScript { get; set; }
}

/// <summary>
/// The real portal as a child process (<c>dotnet Portal.dll</c>) on a free loopback port, with its own data folder,
/// so its embedded libvirt test driver and its SQLite database start from the demo state. Its output is kept for
/// the report of a failed test. Disposing kills it and deletes the data folder.
/// </summary>
public sealed partial class PortalProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly ConcurrentQueue<string> _output = new();
    private readonly TaskCompletionSource<Uri> _listening = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _lines;

    private PortalProcess(Process process, string dataDirectory, string adminPassword, bool ownsData)
    {
        _process = process;
        DataDirectory = dataDirectory;
        AdminPassword = adminPassword;
        _ownsData = ownsData;
    }

    private readonly bool _ownsData;

    /// <summary>Whether the process has ended (killed, crashed, or stopped).</summary>
    public bool HasExited => _process.HasExited;

    /// <summary>Waits for the process to end by itself (a crash point killing it); false when it is still running after <paramref name="timeout"/>.</summary>
    public async Task<bool> WaitForExitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try { await _process.WaitForExitAsync(cts.Token); }
        catch (OperationCanceledException) { return false; }
        return true;
    }

    public Uri BaseUrl { get; private set; } = null!;
    public string DataDirectory { get; }
    public string AdminUser => "admin";
    public string AdminPassword { get; }
    public int ProcessId => _process.Id;

    /// <summary>The SQLite database the portal writes (its default location inside the data folder).</summary>
    public string DatabasePath => Path.Combine(DataDirectory, "portal.db");

    /// <summary>An HTTP client for the portal that does not follow redirects, so a test sees a 302 as a 302.</summary>
    public HttpClient Http { get; private set; } = null!;

    /// <summary>How many output lines the portal has written so far: a mark for <see cref="OutputSince"/>.</summary>
    public int OutputMark => Volatile.Read(ref _lines);

    public IReadOnlyList<string> OutputSince(int mark) => _output.Skip(mark).ToList();

    public static async Task<PortalProcess> StartAsync(PortalProcessOptions? options = null, CancellationToken ct = default)
    {
        options ??= new PortalProcessOptions();
        var dll = RepoLayout.PortalDll;
        var data = options.DataDirectory ?? Directory.CreateTempSubdirectory("portal-e2e-").FullName;

        var psi = options.ThroughRunScript
            ? new ProcessStartInfo("bash")
            {
                ArgumentList = { "scripts/run-portal.sh" },
                WorkingDirectory = RepoLayout.Root,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            }
            : new ProcessStartInfo("dotnet")
        {
            // Port 0: Kestrel picks a free port and says which; no race with another test run picking the same one.
            ArgumentList = { dll, "--urls", "http://127.0.0.1:0" },
            // The content root is the working folder: appsettings.json is read from beside Portal.dll.
            WorkingDirectory = Path.GetDirectoryName(dll)!,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        var env = psi.Environment;
        // Whatever the developer's shell points the portal at, the tests use the embedded host and a fresh database.
        foreach (var key in env.Keys.Where(k => k.StartsWith("Portal__", StringComparison.OrdinalIgnoreCase)
                     || k.StartsWith("Libvirt__", StringComparison.OrdinalIgnoreCase)
                     || k.StartsWith("ConnectionStrings__", StringComparison.OrdinalIgnoreCase)
                     || k is "ASPNETCORE_URLS" or "ASPNETCORE_HTTP_PORTS" or "ASPNETCORE_HTTPS_PORTS").ToList())
            env.Remove(key);
        env["ASPNETCORE_ENVIRONMENT"] = options.Environment;
        env["DOTNET_ENVIRONMENT"] = options.Environment;
        env["Portal__DataDirectory"] = data;
        env["Portal__AdminPassword"] = options.AdminPassword;
        if (options.ThroughRunScript) env["PORT"] = "0";
        // The "Now listening on" line is how the port is learnt; keep it whatever appsettings says.
        env["Logging__LogLevel__Microsoft.Hosting.Lifetime"] = "Information";
        env["Logging__Console__FormatterName"] = "simple";
        // Every browser event the server receives, and why one failed: Blazor 10 sends a click as a JS interop call
        // (DispatchEventAsync), and logs its outcome, with the exception of a failed one, only at Debug. A click the
        // server never acted on (DialogOpener) then shows in the failed test's portal output: not received, or received
        // and refused (the browser itself says only "There was an exception invoking 'DispatchEventAsync'").
        env["Logging__LogLevel__Microsoft.AspNetCore.Components.Server.Circuits.RemoteJSRuntime"] = "Debug";
        foreach (var (key, value) in options.Variables)
            if (value is null) env.Remove(key); else env[key] = value;

        var process = new Process { StartInfo = psi, EnableRaisingEvents = true };
        var portal = new PortalProcess(process, data, options.AdminPassword, ownsData: options.DataDirectory is null);
        process.OutputDataReceived += (_, e) => portal.OnLine(e.Data, "out");
        process.ErrorDataReceived += (_, e) => portal.OnLine(e.Data, "err");
        process.Exited += (_, _) => portal._listening.TrySetException(
            new InvalidOperationException($"The portal exited with code {SafeExitCode(process)} before it listened.\n{portal.Dump()}"));
        try
        {
            process.Start();
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            Running.TryAdd(process.Id, process);
            await portal.WaitUntilHealthyAsync(options.StartTimeout, ct);
            return portal;
        }
        catch
        {
            await portal.DisposeAsync();
            throw;
        }
    }

    /// <summary>GET /healthz (or <paramref name="path"/>, e.g. /healthz/ready), parsed. Throws when it is not JSON (it always is, for 200 and 503).</summary>
    public async Task<Health> HealthAsync(CancellationToken ct = default, string path = "/healthz")
    {
        using var response = await Http.GetAsync(path, ct);
        var body = await response.Content.ReadFromJsonAsync<Health>(ct) ?? throw new InvalidOperationException("/healthz answered no JSON.");
        return body with { HttpStatus = (int)response.StatusCode };
    }

    /// <summary>The portal's output, for a failure message.</summary>
    public string Dump(int fromMark = 0) => string.Join('\n', OutputSince(fromMark));

    private async Task WaitUntilHealthyAsync(TimeSpan timeout, CancellationToken ct)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        cts.CancelAfter(timeout);
        try
        {
            BaseUrl = await _listening.Task.WaitAsync(cts.Token);
            Http = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false, UseCookies = false }) { BaseAddress = BaseUrl };
            // The portal listens once its database is migrated, then connects and reconciles the host (and recovers
            // interrupted operations) in the background: tests act on VMs, so they wait for readiness, not liveness.
            while (true)
            {
                if (_process.HasExited) throw new InvalidOperationException($"The portal exited with code {SafeExitCode(_process)}.\n{Dump()}");
                try
                {
                    using var response = await Http.GetAsync("/healthz/ready", cts.Token);
                    if (response.IsSuccessStatusCode) return;
                }
                catch (HttpRequestException) { }
                await Task.Delay(50, cts.Token);
            }
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            throw new TimeoutException($"The portal did not answer /healthz/ready with 200 within {timeout.TotalSeconds:0} s.\n{Dump()}");
        }
    }

    private void OnLine(string? line, string stream)
    {
        if (line is null) return;
        _output.Enqueue(stream == "err" ? "[stderr] " + line : line);
        Interlocked.Increment(ref _lines);
        if (ListeningLine().Match(line) is { Success: true } m) _listening.TrySetResult(new Uri(m.Groups[1].Value));
    }

    public async ValueTask DisposeAsync()
    {
        Http?.Dispose();
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(15));
                await _process.WaitForExitAsync(cts.Token);
            }
        }
        catch (InvalidOperationException) { } // never started, or already gone
        finally
        {
            if (TryGetId(_process) is { } id) Running.TryRemove(id, out _);
            _process.Dispose();
        }
        if (!_ownsData) return;
        try { Directory.Delete(DataDirectory, recursive: true); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }

    private static int? TryGetId(Process p)
    {
        try { return p.Id; }
        catch (InvalidOperationException) { return null; }
    }

    private static string SafeExitCode(Process p)
    {
        try { return p.ExitCode.ToString(); }
        catch (InvalidOperationException) { return "?"; }
    }

    // A test run that is torn down without disposing its fixtures must not leave portals behind.
    private static readonly ConcurrentDictionary<int, Process> Running = new();

    static PortalProcess() => AppDomain.CurrentDomain.ProcessExit += (_, _) =>
    {
        foreach (var p in Running.Values)
        {
            try { if (!p.HasExited) p.Kill(entireProcessTree: true); }
            catch (InvalidOperationException) { }
        }
    };

    // [^\s"]: the address ends at a quote in a JSON log line.
    [GeneratedRegex(@"Now listening on:\s*(http://[^\s""]+)")]
    private static partial Regex ListeningLine();
}

/// <summary>The body of <c>/healthz</c>, plus the HTTP status it came with.</summary>
public sealed record Health(string Status, string Database, string Libvirt)
{
    public int HttpStatus { get; init; }
}
