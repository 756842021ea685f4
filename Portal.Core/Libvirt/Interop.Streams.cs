using System.Runtime.InteropServices;

namespace Portal.Core.Libvirt;

internal static unsafe partial class Interop
{
    // ---- streams (a domain's console) ----
    [LibraryImport(Lib)] internal static partial StreamHandle virStreamNew(ConnectHandle conn, uint flags);
    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int virDomainOpenConsole(DomainHandle dom, string? devName, StreamHandle st, uint flags);
    [LibraryImport(Lib)] internal static partial int virStreamRecv(IntPtr st, byte* data, nuint nbytes);
    [LibraryImport(Lib)] internal static partial int virStreamSend(StreamHandle st, byte* data, nuint nbytes);
    [LibraryImport(Lib)] internal static partial int virStreamEventAddCallback(StreamHandle st, int events,
        delegate* unmanaged[Cdecl]<IntPtr, int, IntPtr, void> cb, IntPtr opaque, IntPtr freecb);
    [LibraryImport(Lib)] internal static partial int virStreamEventRemoveCallback(StreamHandle st);
    [LibraryImport(Lib)] internal static partial int virStreamFinish(StreamHandle st);
    [LibraryImport(Lib)] internal static partial int virStreamAbort(StreamHandle st);
    [LibraryImport(Lib)] internal static partial int virStreamFree(IntPtr st);

    // ---- a volume's bytes (a remote host's file, through the pool that holds it) ----
    [LibraryImport(Lib)] internal static partial int virStorageVolDownload(StorageVolHandle vol, StreamHandle st, ulong offset, ulong length, uint flags);
}

internal sealed class StreamHandle() : SafeHandle(IntPtr.Zero, ownsHandle: true)
{
    public override bool IsInvalid => handle == IntPtr.Zero;
    protected override bool ReleaseHandle() => Interop.virStreamFree(handle) == 0;
}
