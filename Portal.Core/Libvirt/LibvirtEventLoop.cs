namespace Portal.Core.Libvirt;

/// <summary>
/// libvirt's default event loop, registered once per process before the first connection is opened and
/// run on one dedicated background thread. Lifecycle callbacks fire on that thread.
/// </summary>
internal static unsafe class LibvirtEventLoop
{
    private static readonly Lock Gate = new();
    private static bool _started;

    public static void EnsureStarted()
    {
        lock (Gate)
        {
            if (_started) return;
            LibvirtLibrary.EnsureLoadable();
            // Errors are read with virGetLastErrorMessage by the failing call; without a handler libvirt
            // would also print every one of them to stderr.
            Interop.virSetErrorFunc(IntPtr.Zero, &LibvirtHypervisor.IgnoreError);
            if (Interop.virEventRegisterDefaultImpl() < 0)
                throw new InvalidOperationException("libvirt refused to register its default event loop: " + LibvirtHypervisor.LastError());
            var thread = new Thread(Run) { IsBackground = true, Name = "libvirt-events" };
            thread.Start();
            _started = true;
        }
    }

    private static void Run()
    {
        while (true)
        {
            if (Interop.virEventRunDefaultImpl() < 0)
                Thread.Sleep(50); // a failed poll iteration; avoid a hot spin, the loop must keep running
        }
    }
}

/// <summary>Checks that libvirt.so.0 is present, so that start-up can fail with one sentence naming the package.</summary>
public static class LibvirtLibrary
{
    public const string MissingMessage =
        "libvirt.so.0 was not found: install the Debian package 'libvirt0' (apt-get install -y --no-install-recommends libvirt0 libvirt-clients).";

    public static void EnsureLoadable()
    {
        if (!System.Runtime.InteropServices.NativeLibrary.TryLoad("libvirt.so.0", out _))
            throw new LibvirtUnavailableException(MissingMessage);
    }

    public static string Version()
    {
        EnsureLoadable();
        Interop.virGetVersion(out var v, IntPtr.Zero, IntPtr.Zero);
        return $"{v / 1_000_000}.{v / 1000 % 1000}.{v % 1000}";
    }
}

public sealed class LibvirtUnavailableException(string message) : Exception(message);
