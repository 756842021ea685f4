using Portal.Core.Hypervisor;
using Portal.Core.Storage;

namespace Portal.Core.ImportExport;

/// <summary>
/// OVF files on an export domain, laid out as oVirt does: <c>master/vms/{vmId}/{vmId}.ovf</c> under the pool's
/// directory. Export domains are directory pools. Every path is built from GUIDs, never from file content.
/// </summary>
public sealed class ExportDomainStore(IHypervisor hypervisor)
{
    /// <summary>
    /// An exported VM as a list shows it: its name, export time and snapshot counts; an unreadable OVF with its error
    /// (and no name). The whole OVF is read with <see cref="ReadAsync"/>.
    /// </summary>
    /// <param name="MemoryMiB">The VM's memory, and <paramref name="IsStateless"/>: what the API's representation of an exported VM shows.</param>
    public sealed record Entry(Guid VmId, string? Name, DateTime ExportedAt, int Snapshots, int WithMemory, string? Error,
        int MemoryMiB = 0, bool IsStateless = false)
    {
        public static Entry Of(OvfVm vm) =>
            new(vm.Id, vm.Name, vm.ExportedAt, vm.Snapshots.Count, vm.Snapshots.Count(s => s.Memory is not null), null, vm.MemoryMiB, vm.IsStateless);

        /// <summary>What a list shows first: the name, or the id of an OVF that could not be read.</summary>
        public string Title => Name ?? VmId.ToString();
    }

    // Each OVF's entry, kept while the file's length and time of last write stay as they were: listing a domain again
    // parses only what changed (1,000 exported VMs of 42 KiB each took 325 ms to parse on every read).
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, (DateTime Written, long Length, Entry Entry)> _entries = new();

    private async Task<string> RootAsync(StorageDomain domain, CancellationToken ct)
    {
        if (domain.Role != StorageRole.Export) throw new OvfException($"{domain.Name} is not an export domain.");
        var pool = await hypervisor.GetPoolAsync(domain.PoolName, ct);
        if (string.IsNullOrEmpty(pool.TargetPath)) throw new OvfException($"The export domain {domain.Name} has no directory.");
        var root = Path.Combine(pool.TargetPath, "master", "vms");
        CreatePrivateDirectory(Path.Combine(pool.TargetPath, "master"));
        CreatePrivateDirectory(root);
        return root;
    }

    /// <summary>
    /// What reading an export domain can fail with that says why it cannot be read (its pool gone, its directory not
    /// readable, an OVF that is not one), as opposed to a bug: shown or answered with its message.
    /// </summary>
    public static bool IsUnreadable(Exception ex) =>
        ex is OvfException or HypervisorException or IOException or UnauthorizedAccessException;

    /// <summary>
    /// When a VM was last added to or removed from the domain's directory (its folder made or deleted), by the file
    /// system's clock (UTC). An OVF changed in place is not seen here: its own time is, when the domain is listed.
    /// </summary>
    public async Task<DateTime> ContentsChangedAtAsync(StorageDomain domain, CancellationToken ct) =>
        Directory.GetLastWriteTimeUtc(await RootAsync(domain, ct));

    public async Task<bool> ExistsAsync(StorageDomain domain, Guid vmId, CancellationToken ct) =>
        File.Exists(Path.Combine(await RootAsync(domain, ct), vmId.ToString(), $"{vmId}.ovf"));

    /// <summary>Owner only: an OVF describes a VM whose memory dump sits next to it.</summary>
    public const UnixFileMode FileMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    public const UnixFileMode DirectoryMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    /// <summary>
    /// Writes atomically (a reader never sees half an OVF), readable by the owner only (0600 in a 0700 folder), with
    /// the secrets of the domain XML (console passwords) removed.
    /// </summary>
    public async Task WriteAsync(StorageDomain domain, OvfVm vm, CancellationToken ct)
    {
        var dir = Path.Combine(await RootAsync(domain, ct), vm.Id.ToString());
        CreatePrivateDirectory(dir);
        var path = Path.Combine(dir, $"{vm.Id}.ovf");
        var tmp = path + ".tmp";
        File.Delete(tmp);
        var options = new FileStreamOptions { Mode = System.IO.FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows()) options.UnixCreateMode = FileMode;
        await using (var f = new FileStream(tmp, options))
            await OvfDocument.Build(OvfSecrets.Strip(vm)).SaveAsync(f, System.Xml.Linq.SaveOptions.None, ct);
        File.Move(tmp, path, overwrite: true);
        _entries.TryRemove(Path.GetFullPath(path), out _);
    }

    private static void CreatePrivateDirectory(string dir)
    {
        if (OperatingSystem.IsWindows()) { Directory.CreateDirectory(dir); return; }
        Directory.CreateDirectory(dir, DirectoryMode);
        // An existing folder (an export before this rule) is made private too.
        File.SetUnixFileMode(dir, DirectoryMode);
    }

    public async Task DeleteAsync(StorageDomain domain, Guid vmId, CancellationToken ct)
    {
        var dir = Path.Combine(await RootAsync(domain, ct), vmId.ToString());
        if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
        _entries.TryRemove(Path.GetFullPath(Path.Combine(dir, $"{vmId}.ovf")), out _);
    }

    public async Task<OvfVm> ReadAsync(StorageDomain domain, Guid vmId, CancellationToken ct)
    {
        var path = Path.Combine(await RootAsync(domain, ct), vmId.ToString(), $"{vmId}.ovf");
        if (!File.Exists(path)) throw new OvfException($"There is no exported VM {vmId} on {domain.Name}.");
        return Read(path, vmId);
    }

    /// <summary>
    /// Every exported VM on the domain, by name; an unreadable OVF is listed with its error instead of hiding it. Only
    /// the OVFs written since the last listing are parsed.
    /// </summary>
    public async Task<IReadOnlyList<Entry>> ListAsync(StorageDomain domain, CancellationToken ct)
    {
        var root = await RootAsync(domain, ct);
        var result = new List<Entry>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var dir in Directory.EnumerateDirectories(root))
        {
            ct.ThrowIfCancellationRequested();
            if (!Guid.TryParseExact(Path.GetFileName(dir), "D", out var id)) continue;
            var info = new FileInfo(Path.Combine(dir, $"{id}.ovf"));
            if (!info.Exists) continue;
            seen.Add(info.FullName);
            if (_entries.TryGetValue(info.FullName, out var known) && known.Written == info.LastWriteTimeUtc && known.Length == info.Length)
            {
                result.Add(known.Entry);
                continue;
            }
            Entry entry;
            try { entry = Entry.Of(Read(info.FullName, id)); }
            catch (OvfException ex) { entry = new Entry(id, null, default, 0, 0, ex.Message); }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // Not kept: a file that cannot be opened now (removed meanwhile, its mode changed) is tried again next time.
                result.Add(new Entry(id, null, default, 0, 0, $"The OVF cannot be read: {ex.Message}"));
                continue;
            }
            _entries[info.FullName] = (info.LastWriteTimeUtc, info.Length, entry);
            result.Add(entry);
        }
        var prefix = Path.GetFullPath(root) + Path.DirectorySeparatorChar;
        foreach (var path in _entries.Keys)
            if (path.StartsWith(prefix, StringComparison.Ordinal) && !seen.Contains(path)) _entries.TryRemove(path, out _);
        return result.OrderBy(e => e.Name is null).ThenBy(e => e.Title, StringComparer.OrdinalIgnoreCase).ThenBy(e => e.VmId).ToList();
    }

    private static OvfVm Read(string path, Guid expectedId)
    {
        var info = new FileInfo(path);
        if (info.Length > OvfDocument.MaxBytes)
            throw new OvfException($"The OVF is {info.Length >> 20} MiB; at most {OvfDocument.MaxBytes >> 20} MiB is read.");
        using var f = File.OpenRead(path);
        var vm = OvfDocument.Parse(f);
        if (vm.Id != expectedId) throw new OvfException($"The OVF in folder {expectedId} describes VM {vm.Id}.");
        return vm;
    }
}
