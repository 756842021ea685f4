using System.Runtime.InteropServices;

namespace Portal.Core.Libvirt;

/// <summary>
/// The raw libvirt entry points the portal uses, after dotnet/runtime's interop layout: one static partial
/// class, <see cref="LibraryImportAttribute"/>, and a <see cref="SafeHandle"/> per libvirt pointer type.
/// Nothing outside <c>Portal.Core/Libvirt</c> calls these.
/// </summary>
internal static unsafe partial class Interop
{
    private const string Lib = "libvirt.so.0";

    // ---- errors and event loop ----
    [LibraryImport(Lib)] internal static partial IntPtr virGetLastErrorMessage();
    [LibraryImport(Lib)] internal static partial int virGetLastErrorCode();
    [LibraryImport(Lib)] internal static partial void virSetErrorFunc(IntPtr userData, delegate* unmanaged[Cdecl]<IntPtr, IntPtr, void> handler);
    [LibraryImport(Lib)] internal static partial int virEventRegisterDefaultImpl();
    [LibraryImport(Lib)] internal static partial int virEventRunDefaultImpl();
    [LibraryImport(Lib)] internal static partial int virGetVersion(out ulong libVer, IntPtr type, IntPtr typeVer);

    // ---- connections ----
    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)] internal static partial ConnectHandle virConnectOpen(string name);
    [LibraryImport(Lib)] internal static partial int virConnectClose(IntPtr conn);
    [LibraryImport(Lib)] internal static partial int virConnectIsAlive(ConnectHandle conn);
    [LibraryImport(Lib)] internal static partial IntPtr virConnectGetType(ConnectHandle conn);
    [LibraryImport(Lib)] internal static partial int virConnectListAllDomains(ConnectHandle conn, out IntPtr domains, uint flags);
    [LibraryImport(Lib)] internal static partial int virConnectGetAllDomainStats(ConnectHandle conn, uint stats, out IntPtr records, uint flags);
    [LibraryImport(Lib)] internal static partial void virDomainStatsRecordListFree(IntPtr records);
    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)] internal static partial int virTypedParamsGetInt(IntPtr pars, int npars, string name, out int value);
    [LibraryImport(Lib)] internal static partial int virConnectDomainEventRegisterAny(ConnectHandle conn, IntPtr dom, int eventId,
        delegate* unmanaged[Cdecl]<IntPtr, IntPtr, int, int, IntPtr, int> cb, IntPtr opaque, IntPtr freecb);
    [LibraryImport(Lib)] internal static partial int virConnectDomainEventDeregisterAny(ConnectHandle conn, int callbackId);
    [LibraryImport(Lib)] internal static partial int virConnectStoragePoolEventRegisterAny(ConnectHandle conn, IntPtr pool, int eventId,
        delegate* unmanaged[Cdecl]<IntPtr, IntPtr, int, int, IntPtr, void> cb, IntPtr opaque, IntPtr freecb);
    [LibraryImport(Lib)] internal static partial int virConnectStoragePoolEventDeregisterAny(ConnectHandle conn, int callbackId);
    [LibraryImport(Lib)] internal static partial int virConnectRegisterCloseCallback(ConnectHandle conn,
        delegate* unmanaged[Cdecl]<IntPtr, int, IntPtr, void> cb, IntPtr opaque, IntPtr freecb);
    [LibraryImport(Lib)] internal static partial int virConnectUnregisterCloseCallback(ConnectHandle conn, delegate* unmanaged[Cdecl]<IntPtr, int, IntPtr, void> cb);
    [LibraryImport(Lib)] internal static partial int virConnectSetKeepAlive(ConnectHandle conn, int interval, uint count);

    // ---- domains ----
    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)] internal static partial DomainHandle virDomainLookupByUUIDString(ConnectHandle conn, string uuid);
    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)] internal static partial DomainHandle virDomainDefineXML(ConnectHandle conn, string xml);
    [LibraryImport(Lib)] internal static partial int virDomainUndefineFlags(DomainHandle dom, uint flags);
    [LibraryImport(Lib)] internal static partial int virDomainFree(IntPtr dom);
    [LibraryImport(Lib)] internal static partial IntPtr virDomainGetName(DomainHandle dom);
    [LibraryImport(Lib)] internal static partial int virDomainGetUUIDString(DomainHandle dom, byte* buf);
    // The same two on a domain the caller does not own (a stats record's): no reference taken and dropped for each.
    [LibraryImport(Lib)] internal static partial IntPtr virDomainGetName(IntPtr dom);
    [LibraryImport(Lib)] internal static partial int virDomainGetUUIDString(IntPtr dom, byte* buf);
    [LibraryImport(Lib)] internal static partial int virDomainGetState(DomainHandle dom, out int state, out int reason, uint flags);
    [LibraryImport(Lib)] internal static partial IntPtr virDomainGetXMLDesc(DomainHandle dom, uint flags);
    [LibraryImport(Lib)] internal static partial int virDomainCreate(DomainHandle dom);
    [LibraryImport(Lib)] internal static partial int virDomainDestroy(DomainHandle dom);
    [LibraryImport(Lib)] internal static partial int virDomainShutdown(DomainHandle dom);
    [LibraryImport(Lib)] internal static partial int virDomainSuspend(DomainHandle dom);
    [LibraryImport(Lib)] internal static partial int virDomainResume(DomainHandle dom);

    // ---- snapshots ----
    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)] internal static partial SnapshotHandle virDomainSnapshotCreateXML(DomainHandle dom, string xml, uint flags);
    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)] internal static partial SnapshotHandle virDomainSnapshotLookupByName(DomainHandle dom, string name, uint flags);
    [LibraryImport(Lib)] internal static partial int virDomainListAllSnapshots(DomainHandle dom, out IntPtr snaps, uint flags);
    [LibraryImport(Lib)] internal static partial IntPtr virDomainSnapshotGetXMLDesc(SnapshotHandle snap, uint flags);
    [LibraryImport(Lib)] internal static partial IntPtr virDomainSnapshotGetName(SnapshotHandle snap);
    [LibraryImport(Lib)] internal static partial int virDomainRevertToSnapshot(SnapshotHandle snap, uint flags);
    [LibraryImport(Lib)] internal static partial int virDomainSnapshotDelete(SnapshotHandle snap, uint flags);
    [LibraryImport(Lib)] internal static partial int virDomainSnapshotFree(IntPtr snap);

    // ---- storage ----
    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)] internal static partial StoragePoolHandle virStoragePoolLookupByName(ConnectHandle conn, string name);
    [LibraryImport(Lib)] internal static partial int virStoragePoolGetInfo(StoragePoolHandle pool, out StoragePoolInfo info);
    [LibraryImport(Lib)] internal static partial int virStoragePoolRefresh(StoragePoolHandle pool, uint flags);
    [LibraryImport(Lib)] internal static partial int virConnectListAllStoragePools(ConnectHandle conn, out IntPtr pools, uint flags);
    [LibraryImport(Lib)] internal static partial IntPtr virStoragePoolGetXMLDesc(StoragePoolHandle pool, uint flags);
    [LibraryImport(Lib)] internal static partial int virStoragePoolGetUUIDString(StoragePoolHandle pool, byte* buf);
    [LibraryImport(Lib)] internal static partial int virStoragePoolFree(IntPtr pool);
    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)] internal static partial StorageVolHandle virStorageVolCreateXML(StoragePoolHandle pool, string xml, uint flags);
    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)] internal static partial StorageVolHandle virStorageVolLookupByName(StoragePoolHandle pool, string name);
    [LibraryImport(Lib)] internal static partial IntPtr virStorageVolGetPath(StorageVolHandle vol);
    [LibraryImport(Lib)] internal static partial int virStorageVolDelete(StorageVolHandle vol, uint flags);
    [LibraryImport(Lib)] internal static partial int virStorageVolFree(IntPtr vol);

    [LibraryImport("libc", EntryPoint = "free")] internal static partial void Free(IntPtr p);

    [StructLayout(LayoutKind.Sequential)]
    internal struct StoragePoolInfo
    {
        public int State;
        public ulong Capacity;
        public ulong Allocation;
        public ulong Available;
    }

    /// <summary>Copies a libvirt-owned string (not freed: libvirt keeps it).</summary>
    internal static string? Borrowed(IntPtr p) => p == IntPtr.Zero ? null : Marshal.PtrToStringUTF8(p);

    /// <summary>Copies a string the caller owns, then frees it with libc's free as libvirt requires.</summary>
    internal static string? Owned(IntPtr p)
    {
        if (p == IntPtr.Zero) return null;
        try { return Marshal.PtrToStringUTF8(p); }
        finally { Free(p); }
    }
}

internal static unsafe partial class Interop
{
    // Raw-pointer variants used inside event callbacks, where libvirt owns the domain pointer.
    [LibraryImport(Lib, EntryPoint = "virDomainGetUUIDString")] internal static partial int virDomainGetUUIDStringRaw(IntPtr dom, byte* buf);
    [LibraryImport(Lib, EntryPoint = "virDomainGetName")] internal static partial IntPtr virDomainGetNameRaw(IntPtr dom);

    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int virDomainRestoreFlags(ConnectHandle conn, string from, string? dxml, uint flags);
    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial StorageVolHandle virStorageVolCreateXMLFrom(StoragePoolHandle pool, string xml, StorageVolHandle clonevol, uint flags);
    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)] internal static partial StorageVolHandle virStorageVolLookupByPath(ConnectHandle conn, string path);
    [LibraryImport(Lib)] internal static partial StoragePoolHandle virStoragePoolLookupByVolume(StorageVolHandle vol);
    [LibraryImport(Lib)] internal static partial int virDomainGetJobInfo(DomainHandle dom, out DomainJobInfo info);

    [StructLayout(LayoutKind.Sequential)]
    internal struct DomainJobInfo
    {
        public int Type;
        public ulong TimeElapsed, TimeRemaining, DataTotal, DataProcessed, DataRemaining, MemTotal, MemProcessed, MemRemaining, FileTotal, FileProcessed, FileRemaining;
    }

    [LibraryImport(Lib)] internal static partial int virStorageVolGetInfo(StorageVolHandle vol, out StorageVolInfo info);
    [LibraryImport(Lib)] internal static partial IntPtr virStorageVolGetXMLDesc(StorageVolHandle vol, uint flags);

    [StructLayout(LayoutKind.Sequential)]
    internal struct StorageVolInfo
    {
        public int Type;
        public ulong Capacity;
        public ulong Allocation;
    }

    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial IntPtr virDomainSaveImageGetXMLDesc(ConnectHandle conn, string file, uint flags);

    // ---- storage pools: listing, defining, building, starting, stopping ----
    [LibraryImport(Lib)] internal static partial IntPtr virStoragePoolGetName(StoragePoolHandle pool);
    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)] internal static partial StoragePoolHandle virStoragePoolDefineXML(ConnectHandle conn, string xml, uint flags);
    [LibraryImport(Lib)] internal static partial int virStoragePoolBuild(StoragePoolHandle pool, uint flags);
    [LibraryImport(Lib)] internal static partial int virStoragePoolCreate(StoragePoolHandle pool, uint flags);
    [LibraryImport(Lib)] internal static partial int virStoragePoolDestroy(StoragePoolHandle pool);
    [LibraryImport(Lib)] internal static partial int virStoragePoolUndefine(StoragePoolHandle pool);
    [LibraryImport(Lib)] internal static partial int virStoragePoolSetAutostart(StoragePoolHandle pool, int autostart);
    [LibraryImport(Lib)] internal static partial int virStoragePoolIsActive(StoragePoolHandle pool);
    [LibraryImport(Lib)] internal static partial int virStoragePoolListAllVolumes(StoragePoolHandle pool, out IntPtr vols, uint flags);
    [LibraryImport(Lib)] internal static partial IntPtr virStorageVolGetName(StorageVolHandle vol);
}
