using System.Runtime.InteropServices;

namespace Portal.Core.Libvirt;

internal sealed class ConnectHandle() : SafeHandle(IntPtr.Zero, ownsHandle: true)
{
    public override bool IsInvalid => handle == IntPtr.Zero;
    protected override bool ReleaseHandle() => Interop.virConnectClose(handle) >= 0;
}

internal sealed class DomainHandle() : SafeHandle(IntPtr.Zero, ownsHandle: true)
{
    public override bool IsInvalid => handle == IntPtr.Zero;
    protected override bool ReleaseHandle() => Interop.virDomainFree(handle) == 0;

    /// <summary>Wraps a pointer the caller already owns (from a list call).</summary>
    internal static DomainHandle FromOwned(IntPtr p)
    {
        var h = new DomainHandle();
        h.SetHandle(p);
        return h;
    }
}

internal sealed class SnapshotHandle() : SafeHandle(IntPtr.Zero, ownsHandle: true)
{
    public override bool IsInvalid => handle == IntPtr.Zero;
    protected override bool ReleaseHandle() => Interop.virDomainSnapshotFree(handle) == 0;

    internal static SnapshotHandle FromOwned(IntPtr p)
    {
        var h = new SnapshotHandle();
        h.SetHandle(p);
        return h;
    }
}

internal sealed class StoragePoolHandle() : SafeHandle(IntPtr.Zero, ownsHandle: true)
{
    public override bool IsInvalid => handle == IntPtr.Zero;
    protected override bool ReleaseHandle() => Interop.virStoragePoolFree(handle) == 0;

    internal static StoragePoolHandle FromOwned(IntPtr p)
    {
        var h = new StoragePoolHandle();
        h.SetHandle(p);
        return h;
    }
}

internal sealed class StorageVolHandle() : SafeHandle(IntPtr.Zero, ownsHandle: true)
{
    public override bool IsInvalid => handle == IntPtr.Zero;
    protected override bool ReleaseHandle() => Interop.virStorageVolFree(handle) == 0;

    internal static StorageVolHandle FromOwned(IntPtr p)
    {
        var h = new StorageVolHandle();
        h.SetHandle(p);
        return h;
    }
}
