using Portal.Core.Hypervisor;
using Portal.Core.Storage;

namespace Portal.Core.ImportExport;

/// <summary>
/// OVF files on an export domain, laid out as oVirt does: <c>master/vms/{vmId}/{vmId}.ovf</c> under the pool's
/// directory. Export domains are directory pools. Every path is built from GUIDs, never from file content.
/// </summary>
public sealed class ExportDomainStore(IHypervisor hypervisor)
{
    public sealed record Entry(Guid VmId, OvfVm? Vm, string? Error);

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
    }

    public async Task<OvfVm> ReadAsync(StorageDomain domain, Guid vmId, CancellationToken ct)
    {
        var path = Path.Combine(await RootAsync(domain, ct), vmId.ToString(), $"{vmId}.ovf");
        if (!File.Exists(path)) throw new OvfException($"There is no exported VM {vmId} on {domain.Name}.");
        return Read(path, vmId);
    }

    /// <summary>Every exported VM on the domain; an unreadable OVF is listed with its error instead of hiding it.</summary>
    public async Task<IReadOnlyList<Entry>> ListAsync(StorageDomain domain, CancellationToken ct)
    {
        var root = await RootAsync(domain, ct);
        var result = new List<Entry>();
        foreach (var dir in Directory.EnumerateDirectories(root))
        {
            if (!Guid.TryParseExact(Path.GetFileName(dir), "D", out var id)) continue;
            var path = Path.Combine(dir, $"{id}.ovf");
            if (!File.Exists(path)) continue;
            try { result.Add(new Entry(id, Read(path, id), null)); }
            catch (OvfException ex) { result.Add(new Entry(id, null, ex.Message)); }
        }
        return result;
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
