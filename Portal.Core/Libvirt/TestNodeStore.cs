using System.Runtime.InteropServices;
using System.Xml.Linq;

namespace Portal.Core.Libvirt;

/// <summary>
/// Keeps the embedded test driver's state across a portal restart, so the demo host behaves like a host: libvirt's
/// test driver holds everything in the connection and starts again from its node file. After every change the
/// portal makes, the changed object is written back as a file the node file refers to (<c>&lt;domain file=…/&gt;</c>,
/// <c>&lt;pool file=…/&gt;</c>, both supported by the test driver): a domain with its run state and its snapshots, a pool
/// with its volumes. Each file is replaced atomically (written beside it, then renamed), so a portal killed at any
/// moment leaves either the old or the new state of an object, as a host that lost power would.
/// </summary>
/// <remarks>
/// Only the portal's own embedded node (in its data folder) is kept this way; a <c>test:///</c> file a user names is
/// never rewritten. Files are written without fsync: a killed process loses nothing the kernel has, and the embedded
/// host is a demo, not a place for data that must survive a power cut.
/// </remarks>
internal sealed unsafe class TestNodeStore
{
    private static readonly XNamespace Test = "http://libvirt.org/schemas/domain/test/1.0";
    private readonly string _nodePath;
    private readonly string _domains;
    private readonly string _pools;
    private readonly Lock _gate = new();
    private XDocument _node;

    private TestNodeStore(string nodePath)
    {
        _nodePath = nodePath;
        var root = Path.Combine(Path.GetDirectoryName(nodePath)!, Path.GetFileNameWithoutExtension(nodePath) + ".d");
        _domains = Path.Combine(root, "domains");
        _pools = Path.Combine(root, "pools");
        _node = XDocument.Load(nodePath);
    }

    /// <summary>The store for the node file of <paramref name="uri"/>, or null when it is not a test-driver node file.</summary>
    public static TestNodeStore? For(string uri)
    {
        if (!uri.StartsWith("test:///", StringComparison.Ordinal)) return null;
        var path = uri["test://".Length..];
        var q = path.IndexOf('?');
        if (q >= 0) path = path[..q];
        return File.Exists(path) ? new TestNodeStore(path) : null;
    }

    /// <summary>
    /// Writes every object out once, when the node file still holds them inline (a node made by <c>DemoNode</c> or a
    /// generator), and rewrites the node file to refer to the files.
    /// </summary>
    public void Adopt(ConnectHandle conn)
    {
        lock (_gate)
        {
            var root = _node.Root!;
            var inline = root.Elements("domain").Concat(root.Elements("pool")).Any(e => e.Attribute("file") is null);
            if (!inline) return;
            Directory.CreateDirectory(_domains);
            Directory.CreateDirectory(_pools);
            foreach (var (uuid, d) in Domains(conn)) using (d) WriteDomain(d, uuid);
            foreach (var (name, p) in Pools(conn)) using (p) WritePool(p, name);
            RewriteNode(conn);
        }
    }

    /// <summary>Writes one domain after a change (its definition, run state or snapshots); a new or removed one updates the node.</summary>
    public void DomainChanged(ConnectHandle conn, Guid id)
    {
        lock (_gate)
        {
            using var d = Interop.virDomainLookupByUUIDString(conn, id.ToString());
            var path = DomainPath(id);
            if (d.IsInvalid)
            {
                if (File.Exists(path)) File.Delete(path);
                RewriteNode(conn);
                return;
            }
            var known = File.Exists(path);
            WriteDomain(d, id);
            if (!known) RewriteNode(conn);
        }
    }

    /// <summary>Writes one pool after a change (a volume made or deleted); a new or removed pool updates the node.</summary>
    public void PoolChanged(ConnectHandle conn, string name)
    {
        lock (_gate)
        {
            using var p = Interop.virStoragePoolLookupByName(conn, name);
            var path = PoolPath(name);
            if (p.IsInvalid)
            {
                if (File.Exists(path)) File.Delete(path);
                RewriteNode(conn);
                return;
            }
            var known = File.Exists(path);
            WritePool(p, name);
            if (!known) RewriteNode(conn);
        }
    }

    private string DomainPath(Guid id) => Path.Combine(_domains, $"{id}.xml");
    private string PoolPath(string name) => Path.Combine(_pools, $"{name}.xml");

    private void WriteDomain(DomainHandle d, Guid id)
    {
        // virDomainXMLFlags SECURE (1) | INACTIVE (2): the persistent definition, with any console password.
        var xml = Interop.Owned(Interop.virDomainGetXMLDesc(d, 3));
        if (xml is null) return;
        var doc = XDocument.Parse(xml);
        var root = doc.Root!;
        root.SetAttributeValue(XNamespace.Xmlns + "test", Test.NamespaceName);
        Interop.virDomainGetState(d, out var state, out _, 0);
        // A domain libvirt reports as paused or running comes back so; anything else starts shut off (virDomainState).
        root.Add(new XElement(Test + "runstate", state is 1 or 2 or 3 ? state : 5));
        foreach (var snapshot in Snapshots(d)) root.Add(snapshot);
        Write(DomainPath(id), doc);
    }

    /// <summary>Each snapshot as the test driver preloads it, parents before children.</summary>
    private static List<XElement> Snapshots(DomainHandle d)
    {
        var n = Interop.virDomainListAllSnapshots(d, out var array, 0);
        if (n <= 0) return [];
        var handles = LibvirtLists.Take(array, n, SnapshotHandle.FromOwned);
        var byName = new Dictionary<string, XElement>();
        try
        {
            foreach (var s in handles)
            {
                var xml = Interop.Owned(Interop.virDomainSnapshotGetXMLDesc(s, 1));
                if (xml is null) continue;
                var e = XElement.Parse(xml);
                e.Name = Test + "domainsnapshot";
                // <active>0</active>: a preloaded snapshot that claims to be current makes the driver refuse a plain revert.
                e.Add(new XElement("active", 0));
                byName[(string?)e.Element("name") ?? ""] = e;
            }
        }
        finally
        {
            foreach (var h in handles) h.Dispose();
        }
        var ordered = new List<XElement>();
        var placed = new HashSet<string>();
        void Place(string name)
        {
            if (!placed.Add(name) || !byName.TryGetValue(name, out var e)) return;
            if ((string?)e.Element("parent")?.Element("name") is { } parent) Place(parent);
            ordered.Add(e);
        }
        foreach (var name in byName.Keys) Place(name);
        return ordered;
    }

    private void WritePool(StoragePoolHandle p, string name)
    {
        var xml = Interop.Owned(Interop.virStoragePoolGetXMLDesc(p, 0));
        if (xml is null) return;
        var doc = XDocument.Parse(xml);
        var n = Interop.virStoragePoolListAllVolumes(p, out var array, 0);
        if (n > 0)
        {
            var volumes = LibvirtLists.Take(array, n, StorageVolHandle.FromOwned);
            try
            {
                foreach (var v in volumes)
                    if (Interop.Owned(Interop.virStorageVolGetXMLDesc(v, 0)) is { } vxml) doc.Root!.Add(XElement.Parse(vxml));
            }
            finally
            {
                foreach (var v in volumes) v.Dispose();
            }
        }
        Write(PoolPath(name), doc);
    }

    private void RewriteNode(ConnectHandle conn)
    {
        var root = _node.Root!;
        root.Elements("domain").Remove();
        root.Elements("pool").Remove();
        foreach (var (uuid, d) in Domains(conn))
            using (d) root.Add(new XElement("domain", new XAttribute("file", Path.GetRelativePath(Path.GetDirectoryName(_nodePath)!, DomainPath(uuid)))));
        foreach (var (name, p) in Pools(conn))
            using (p) root.Add(new XElement("pool", new XAttribute("file", Path.GetRelativePath(Path.GetDirectoryName(_nodePath)!, PoolPath(name)))));
        Write(_nodePath, _node);
    }

    private static List<(Guid Id, DomainHandle Handle)> Domains(ConnectHandle conn)
    {
        var n = Interop.virConnectListAllDomains(conn, out var array, 0);
        if (n < 0) throw new Hypervisor.HypervisorException("Saving the embedded host", LibvirtHypervisor.LastError());
        var handles = LibvirtLists.Take(array, n, DomainHandle.FromOwned);
        var result = new List<(Guid, DomainHandle)>(n);
        var buf = stackalloc byte[40];
        foreach (var h in handles)
        {
            Interop.virDomainGetUUIDString(h, buf);
            result.Add((Guid.Parse(Marshal.PtrToStringUTF8((IntPtr)buf)!), h));
        }
        return result;
    }

    private static List<(string Name, StoragePoolHandle Handle)> Pools(ConnectHandle conn)
    {
        var n = Interop.virConnectListAllStoragePools(conn, out var array, 0);
        if (n < 0) throw new Hypervisor.HypervisorException("Saving the embedded host", LibvirtHypervisor.LastError());
        return LibvirtLists.Take(array, n, StoragePoolHandle.FromOwned)
            .Select(h => (Interop.Borrowed(Interop.virStoragePoolGetName(h)) ?? "", h)).ToList();
    }

    private static void Write(string path, XDocument doc)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var tmp = path + ".tmp";
        doc.Save(tmp);
        File.Move(tmp, path, overwrite: true);
    }
}

/// <summary>libvirt's list calls return an array of pointers the caller owns: each becomes a handle before anything can throw.</summary>
internal static class LibvirtLists
{
    /// <summary>Wraps every pointer of <paramref name="array"/> in its handle and frees the array, so none leaks whatever happens next.</summary>
    public static List<T> Take<T>(IntPtr array, int n, Func<IntPtr, T> wrap) where T : SafeHandle
    {
        var result = new List<T>(Math.Max(n, 0));
        try
        {
            for (var i = 0; i < n; i++) result.Add(wrap(Marshal.ReadIntPtr(array, i * IntPtr.Size)));
        }
        finally
        {
            if (array != IntPtr.Zero) Interop.Free(array);
        }
        return result;
    }

    /// <summary>Runs <paramref name="each"/> on every handle and disposes all of them, even when one call throws.</summary>
    public static List<TResult> Map<T, TResult>(List<T> handles, Func<T, TResult> each) where T : SafeHandle
    {
        try { return handles.Select(each).ToList(); }
        finally
        {
            foreach (var h in handles) h.Dispose();
        }
    }
}
