using System.Diagnostics;
using Portal.E2E.Infrastructure;

namespace Portal.E2E.RealHost;

/// <summary>
/// The portal on a real hypervisor: <c>qemu:///system</c> through the libvirtd that <c>scripts/real-host/setup.sh</c>
/// started, with the pools portal-data / portal-small (400 MiB) / portal-export and fresh busybox guests (reset-guests.sh runs first).
/// These tests carry the trait Category=RealHost; scripts/test-all.sh runs them after setting the host up.
/// </summary>
public sealed class RealHostFixture : PortalFixture
{
    public const string Root = "/var/lib/portal-real";

    protected override void Configure(PortalProcessOptions options)
    {
        ResetGuests();
        PointAtRealHost(options);
    }

    /// <summary>The portal's settings for the real host and its pools.</summary>
    public static void PointAtRealHost(PortalProcessOptions options)
    {
        options.Variables["Libvirt__Uri"] = "qemu:///system";
        options.Variables["Libvirt__DataPools__0"] = "portal-data";
        options.Variables["Libvirt__DataPools__1"] = "portal-small";
        options.Variables["Libvirt__ExportPools__0"] = "portal-export";
        options.StartTimeout = TimeSpan.FromMinutes(3);
    }

    public static void ResetGuests()
    {
        var script = Path.Combine(RepoLayout.Root, "scripts", "real-host", "reset-guests.sh");
        using var p = System.Diagnostics.Process.Start(new ProcessStartInfo("bash", [script, Root]) { RedirectStandardError = true })!;
        var err = p.StandardError.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0) throw new InvalidOperationException($"reset-guests.sh failed ({p.ExitCode}): {err}");
    }
}
