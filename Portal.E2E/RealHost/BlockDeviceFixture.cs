using System.Diagnostics;
using Portal.E2E.Infrastructure;

namespace Portal.E2E.RealHost;

/// <summary>
/// A block device for a Block storage domain on the real host: scripts/real-host/block-setup.sh attaches a loop device
/// with partition scanning; block-teardown.sh stops the pools on it and detaches it again when the class is done.
/// </summary>
public sealed class BlockDeviceFixture : IAsyncLifetime
{
    /// <summary>The device path a libvirt disk pool is given (see block-setup.sh for why it ends in "p").</summary>
    public string Device { get; private set; } = "";

    public async ValueTask InitializeAsync() => Device = (await RunAsync("block-setup.sh")).Trim().Split('\n').Last();

    public async ValueTask DisposeAsync() => await RunAsync("block-teardown.sh");

    private static async Task<string> RunAsync(string script)
    {
        var path = Path.Combine(RepoLayout.Root, "scripts", "real-host", script);
        using var p = Process.Start(new ProcessStartInfo("bash", [path, RealHostFixture.Root]) { RedirectStandardOutput = true, RedirectStandardError = true })!;
        var output = p.StandardOutput.ReadToEndAsync();
        var error = p.StandardError.ReadToEndAsync();
        await p.WaitForExitAsync();
        if (p.ExitCode != 0) throw new InvalidOperationException($"{script} failed ({p.ExitCode}): {await error}");
        return await output;
    }
}
