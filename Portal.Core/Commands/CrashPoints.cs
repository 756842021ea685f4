using System.Diagnostics;
using Microsoft.Extensions.Options;

namespace Portal.Core.Commands;

/// <summary>
/// A test-only hook for the kill-9 drill: with <c>Portal:CrashAt</c> set to <c>Kind:step</c> (the operation's name and
/// a journal step, e.g. <c>Commit snapshot:committed</c>), the process kills itself with SIGKILL the moment that step
/// has been saved, as a power cut or an OOM kill would; <c>Kind:step+200</c> kills 200 ms later, while whatever
/// follows the step (a libvirt call) is under way. <c>Portal:TraceSteps</c> prints every step reached, so a test can
/// list an operation's kill points. Both are off unless configured.
/// </summary>
public sealed class CrashPoints(IOptions<PortalOptions> options)
{
    private readonly string? _crashAt = options.Value.CrashAt;
    private readonly bool _trace = options.Value.TraceSteps;

    public void At(string kind, string step)
    {
        if (_trace) Console.Out.WriteLine($"JOURNAL-STEP {kind}:{step}");
        if (_crashAt is null) return;
        var (point, delay) = Parse(_crashAt);
        if (!string.Equals(point, $"{kind}:{step}", StringComparison.Ordinal)) return;
        Console.Out.WriteLine($"CRASH-POINT {kind}:{step}{(delay > 0 ? $" (+{delay} ms)" : "")}");
        Console.Out.Flush();
        if (delay <= 0) Kill();
        else new Thread(() => { Thread.Sleep(delay); Kill(); }) { IsBackground = true, Name = "crash-point" }.Start();
    }

    private static (string Point, int Delay) Parse(string value)
    {
        var plus = value.LastIndexOf('+');
        return plus > 0 && int.TryParse(value[(plus + 1)..], out var ms) ? (value[..plus], ms) : (value, 0);
    }

    private static void Kill()
    {
        using var self = Process.GetCurrentProcess();
        self.Kill(); // SIGKILL on Linux: no finally blocks, no disposal, exactly what the drill needs
    }
}
