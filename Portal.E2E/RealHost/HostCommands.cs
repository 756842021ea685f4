using System.Diagnostics;
using Microsoft.EntityFrameworkCore;
using Portal.E2E.Infrastructure;

namespace Portal.E2E.RealHost;

/// <summary>The real host's own tools, as its administrator runs them beside the portal: virsh on qemu:///system, qemu-img.</summary>
internal static class HostCommands
{
    /// <summary>virsh's output (quiet: no "Domain … defined" lines); what it printed to stderr is dropped.</summary>
    public static string Virsh(string args) => Run("virsh", $"-q -c qemu:///system {args}");

    public static string Run(string file, string args)
    {
        using var p = Process.Start(new ProcessStartInfo(file, args) { RedirectStandardOutput = true, RedirectStandardError = true })!;
        var output = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        return output;
    }

    /// <summary>Defines a guest with virsh, as an administrator would, and waits until the portal has taken it in.</summary>
    public static async Task DefineAsync(PortalDatabase db, string name, string domainXml)
    {
        var file = Path.Combine(Path.GetTempPath(), $"{name}-{Guid.NewGuid():N}.xml");
        File.WriteAllText(file, domainXml);
        try { Virsh($"define {file}"); }
        finally { File.Delete(file); }
        Assert.Equal("shut off", Virsh($"domstate {name}").Trim());
        await Poll.UntilAsync(async () => { await using var d = db.Open(); return await d.Vms.AnyAsync(v => v.Name == name); }, x => x,
            $"the portal to take in {name}", RealHostSteps.Slow);
    }
}
