using System.Text.RegularExpressions;
using Microsoft.EntityFrameworkCore;
using Portal.Core.Commands;
using Portal.Core.Hypervisor;

namespace Portal.Core.Storage;

/// <summary>Where a new storage domain's libvirt pool comes from.</summary>
public enum StorageSource
{
    /// <summary>A pool the host has already (any supported type): registered by name, never changed.</summary>
    ExistingPool,

    /// <summary>A new directory pool (File).</summary>
    Directory,

    /// <summary>A new <c>disk</c> pool: a GPT-partitioned block device (Block).</summary>
    PartitionedDevice,

    /// <summary>A new <c>logical</c> pool: an LVM volume group (Block), as oVirt's block domains are.</summary>
    VolumeGroup,
}

/// <param name="Name">The domain's name, and the new pool's name when the portal creates one.</param>
/// <param name="PoolName">ExistingPool: the libvirt pool to register.</param>
/// <param name="Path">Directory: an absolute directory. PartitionedDevice: the device, under /dev.</param>
/// <param name="VolumeGroup">VolumeGroup: the volume group's name.</param>
/// <param name="Devices">VolumeGroup: the devices to make it on, under /dev. Empty: a volume group that exists.</param>
/// <param name="OverwriteDevice">
/// PartitionedDevice, VolumeGroup: write a new partition table or LVM labels over whatever the devices hold, which
/// destroys it. Default false: libvirt refuses a device that holds a partition table, file system or LVM label.
/// </param>
public sealed record AddStorageDomainRequest(string Name, StorageRole Role, StorageSource Source, string? PoolName = null, string? Path = null,
    string? VolumeGroup = null, IReadOnlyList<string>? Devices = null, bool OverwriteDevice = false);

/// <summary>
/// Adds a storage domain: registers a libvirt pool the host has, or creates one (a directory, a partitioned device,
/// an LVM volume group): defined, built, started and marked autostart through libvirt. Returns the domain's id.
/// </summary>
public sealed partial class AddStorageDomainCommand(CommandServices s) : StorageCommand<AddStorageDomainRequest, AddStorageDomainCommand.Run>(s)
{
    public override string Operation => Audit.AuditOperations.AddStorageDomain;

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")]
    private static partial Regex NamePattern();

    // LVM's own rule for volume group names, without the names it reserves.
    [GeneratedRegex("^[A-Za-z0-9+_][A-Za-z0-9+_.-]{0,126}$")]
    private static partial Regex VolumeGroupPattern();

    public sealed class Run : StorageRun<AddStorageDomainRequest>
    {
        public string? PoolName;
        public PoolInfo? Existing;
        public string? PoolXml;
        public bool PoolCreated;
    }

    protected override async Task<Refusal?> PrepareAsync(Run run, CancellationToken ct)
    {
        var r = run.Request;
        var ctx = run;
        var name = r.Name?.Trim() ?? "";
        if (!NamePattern().IsMatch(name))
            return Refusal.BadInput("A storage domain name has 1 to 64 letters, digits, '.', '_' or '-', and starts with a letter or digit.");
        if (await ctx.Db.StorageDomains.AnyAsync(d => d.Name == name, ct))
            return new Refusal($"A storage domain named {name} exists already.");

        if (r.Source == StorageSource.ExistingPool)
        {
            var pool = r.PoolName?.Trim() ?? "";
            if (pool.Length == 0) return Refusal.BadInput("Choose the libvirt pool to register.");
            if (await ctx.Db.StorageDomains.FirstOrDefaultAsync(d => d.PoolName == pool, ct) is { } taken)
                return new Refusal($"The pool {pool} is already the storage domain {taken.Name}.");
            try { run.Existing = await S.Hypervisor.GetPoolAsync(pool, ct); }
            catch (HypervisorException ex) { return Refusal.Missing($"The host has no storage pool {pool}: {ex.LibvirtMessage}"); }
            if (StorageDomain.KindOf(run.Existing.Type) is not { } kind)
                return Refusal.BadInput($"The pool {pool} is a {run.Existing.Type} pool; the portal keeps memory volumes in dir, fs, netfs, disk and logical pools.");
            if (r.Role == StorageRole.Export && kind != StorageKind.File)
                return Refusal.BadInput($"The pool {pool} is a {run.Existing.Type} pool; an export domain holds OVF files, so it must be a directory.");
            run.PoolName = pool;
            return null;
        }

        if ((await S.Hypervisor.ListPoolsAsync(ct)).Any(p => p.Name == name))
            return new Refusal($"The host has a storage pool named {name} already; register it as an existing pool, or choose another name.");
        if (r.Role == StorageRole.Export && r.Source != StorageSource.Directory)
            return Refusal.BadInput("An export domain holds OVF files, so it must be a directory.");
        switch (r.Source)
        {
            case StorageSource.Directory:
                if (AbsolutePath(r.Path, "/") is not { } dir || dir == "/")
                    return Refusal.BadInput("Enter the directory as an absolute path, such as /var/lib/portal/data2.");
                run.PoolXml = StoragePoolXml.Directory(name, dir);
                break;
            case StorageSource.PartitionedDevice:
                if (AbsolutePath(r.Path, "/dev/") is not { } device)
                    return Refusal.BadInput("Enter the block device as a path under /dev, such as /dev/sdb.");
                run.PoolXml = StoragePoolXml.Disk(name, device);
                break;
            case StorageSource.VolumeGroup:
                var vg = r.VolumeGroup?.Trim() ?? "";
                if (!VolumeGroupPattern().IsMatch(vg) || vg is "." or "..")
                    return Refusal.BadInput("Enter the volume group's name: letters, digits, '+', '_', '.' or '-', not starting with '-' or '.'.");
                var devices = (r.Devices ?? []).Select(d => d.Trim()).Where(d => d.Length > 0).ToList();
                if (devices.Any(d => AbsolutePath(d, "/dev/") is null))
                    return Refusal.BadInput("Enter each device as a path under /dev, such as /dev/sdc.");
                if (devices.Distinct().Count() != devices.Count) return Refusal.BadInput("A device is listed twice.");
                run.PoolXml = StoragePoolXml.Logical(name, vg, devices);
                break;
            default:
                return Refusal.BadInput("Choose where the storage domain's pool comes from.");
        }
        run.PoolName = name;
        return null;
    }

    /// <summary>The path when it is absolute, normal (no '.', '..', '//' or trailing '/') and under <paramref name="root"/>.</summary>
    private static string? AbsolutePath(string? text, string root)
    {
        var p = text?.Trim() ?? "";
        if (p.Length > 1) p = p.TrimEnd('/');
        if (!p.StartsWith(root, StringComparison.Ordinal) || p.Contains("//", StringComparison.Ordinal) || p.Any(char.IsControl)) return null;
        return p.Split('/').Skip(1).Any(part => part is "." or "..") || p == root.TrimEnd('/') ? null : p;
    }

    protected override async Task<object?> ExecuteCoreAsync(Run run, CancellationToken ct)
    {
        var r = run.Request;
        var ctx = run;
        PoolInfo pool;
        if (run.Existing is { } existing)
        {
            if (!existing.Active) await S.Hypervisor.StartPoolAsync(existing.Name, ct);
            pool = await S.Hypervisor.GetPoolAsync(existing.Name, ct);
        }
        else
        {
            // Journaled first: a portal that dies while libvirt builds the pool leaves no pool the portal does not know.
            await run.WillAsync("creating-pool", new RemovePoolStep(run.PoolName!), ct);
            pool = await S.Hypervisor.CreatePoolAsync(run.PoolXml!, r.OverwriteDevice, ct);
            run.PoolCreated = true;
        }

        var dataCenter = await ctx.Db.StorageDomains.OrderBy(d => d.Name).Select(d => (Guid?)d.DataCenterId).FirstOrDefaultAsync(ct) ?? Guid.NewGuid();
        var domain = new StorageDomain
        {
            Name = r.Name.Trim(), PoolName = run.PoolName!, Kind = StorageDomain.KindOf(pool.Type)!.Value, Role = r.Role,
            DataCenterId = dataCenter, PoolCreatedByPortal = run.PoolCreated,
        };
        ctx.Db.StorageDomains.Add(domain);
        run.Commit();
        await run.SaveAsync("recorded", ct);
        ctx.AuditMessage = $"Storage domain {domain.Name} ({domain.Role}, {domain.Kind}) was added: " +
                           (run.PoolCreated ? "the portal created" : "registered") + $" the libvirt {pool.Type} pool {pool.Name}, {pool.CapacityBytes >> 20} MiB, {pool.AvailableBytes >> 20} MiB free.";
        return domain.Id;
    }

    protected override string FailureMessage(Run run, string reason) =>
        $"Failed to add storage domain {run.Request.Name?.Trim()}: {reason}";
}
