using System.Text.RegularExpressions;
using System.Xml.Linq;
using Microsoft.EntityFrameworkCore;
using Portal.Core.Audit;
using Portal.Core.Auth;
using Portal.Core.Commands;
using Portal.Core.Hypervisor;
using Portal.Core.Snapshots;
using Portal.Core.Storage;
using Portal.Core.Vms;

namespace Portal.Core.ImportExport;

/// <param name="VmId">The exported VM's id (its folder on the export domain).</param>
/// <param name="TargetDomainId">The data domain that receives the memory volumes: File or Block, whatever the source was.</param>
/// <param name="AsClone">New ids and no memory at all.</param>
/// <param name="Collapse">Only the active snapshot, with its memory.</param>
/// <param name="NewName">The imported VM's name; required for a clone when the original name is taken.</param>
/// <param name="DiskDomainId">
/// The File data domain that receives the disk images. Default null: the target domain when it is a File domain,
/// otherwise the first File data domain by name. Disks are qcow2 files that snapshots overlay with more files, so they
/// never go to a Block domain.
/// </param>
public sealed record ImportVmRequest(Guid ExportDomainId, Guid VmId, Guid TargetDomainId, bool AsClone = false, bool Collapse = false,
    string? NewName = null, Guid? ClusterId = null, Guid? DiskDomainId = null);

/// <summary>
/// Imports a VM from an export domain (oVirt's ImportVmCommand): its definition, its snapshots with their memory
/// (copied into the target data domain, File or Block) and their disk images (copied into a File data domain, every
/// configuration pointed at the copies), or, as a clone, a new VM without memory. It follows the command template
/// (lock, validate, execute, compensate, audit, notify) for a VM that does not exist yet.
/// </summary>
public sealed partial class ImportVmCommand(CommandServices s, ExportDomainStore store)
{
    public string Operation => "Import VM";
    public const string CloneMemoryWarning = "The VM was imported as a clone: the memory saved with its active snapshot was not imported, so it will boot fresh.";

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")]
    private static partial Regex NamePattern();

    public async Task<CommandResult> ExecuteAsync(ImportVmRequest request, Actor actor, CancellationToken ct = default)
    {
        if (!actor.IsAdmin) return CommandResult.Forbidden($"{Operation} needs the Admin role; {actor.UserName} is Helpdesk.");
        await using var db = await s.Db.CreateDbContextAsync(ct);
        var source = await db.StorageDomains.FirstOrDefaultAsync(d => d.Id == request.ExportDomainId, ct);
        var target = await db.StorageDomains.FirstOrDefaultAsync(d => d.Id == request.TargetDomainId, ct);
        if (source is null || source.Role != StorageRole.Export) return CommandResult.NotFound("The export domain does not exist.");
        if (target is null || target.Role != StorageRole.Data) return CommandResult.Invalid("Choose a data domain to import into.");

        OvfVm ovf;
        try { ovf = await store.ReadAsync(source, request.VmId, ct); }
        catch (OvfException ex) { return CommandResult.Invalid($"The VM cannot be imported from {source.Name}: {ex.Message}"); }

        var newId = request.AsClone ? Guid.NewGuid() : ovf.Id;
        var name = string.IsNullOrWhiteSpace(request.NewName) ? (request.AsClone ? $"{ovf.Name}-clone" : ovf.Name) : request.NewName.Trim();
        var vmLock = s.Locks.TryAcquire(newId, Operation, out var heldBy);
        if (vmLock is null) return CommandResult.Conflict($"Cannot import: the operation '{heldBy}' is in progress on this VM.");
        using var _ = vmLock;

        if (!request.AsClone && await db.Vms.FirstOrDefaultAsync(v => v.Id == ovf.Id, ct) is { } existing)
            return CommandResult.Conflict($"A VM with id {ovf.Id} ({existing.Name}) already exists. Import it as a clone to get a copy with a new id.");
        if (!NamePattern().IsMatch(name))
            return CommandResult.Invalid("A VM name has 1 to 64 letters, digits, '.', '_' or '-', and starts with a letter or digit.");
        if (await db.Vms.AnyAsync(v => v.Name == name, ct))
            return CommandResult.Invalid($"A VM named {name} already exists; give the imported VM another name.");
        var cluster = await db.Clusters.FirstOrDefaultAsync(c => c.Id == request.ClusterId, ct)
                      ?? await db.Clusters.FirstOrDefaultAsync(c => c.Name == ovf.ClusterName, ct)
                      ?? await db.Clusters.OrderBy(c => c.Name).FirstAsync(ct);
        var host = await db.Hosts.FirstOrDefaultAsync(h => h.Uri == s.Hypervisor.Uri, ct);

        var kept = ovf.Snapshots.Where(x => x.Type == OvfDocument.ActiveType || (!request.Collapse && !request.AsClone)).ToList();
        var memory = request.AsClone ? [] : kept.Select(x => x.Memory).OfType<MemoryReference>().DistinctBy(m => m.DumpVolumeId).ToList();
        var need = memory.Sum(m => kept.First(k => k.Memory?.DumpVolumeId == m.DumpVolumeId).MemorySizeBytes + MemoryVolumeStore.ConfigVolumeBytes);
        if (need > 0)
        {
            var pool = await s.Hypervisor.GetPoolAsync(target.PoolName, ct);
            if (pool.AvailableBytes < need)
                return CommandResult.Conflict($"{target.Name} has {pool.AvailableBytes >> 20} MiB free; the memory volumes need {need >> 20} MiB.");
        }

        // Disk images: every disk of every imported configuration must come from the export domain, so no path in an
        // OVF can make the VM open a file or device of the host. (The test driver has no disk images: its disks stay.)
        var disks = kept.SelectMany(k => k.DiskList).DistinctBy(d => d.VolumeId).ToList();
        foreach (var (what, config, list) in kept.Select(k => ($"snapshot '{k.Description}'", k.Configuration, k.DiskList))
                     .Prepend(("the VM's definition", ovf.DomainXml, ovf.Active?.DiskList ?? [])))
        {
            var uncovered = DiskSources.Uncovered(config, list);
            if (uncovered.Count > 0 && !s.Hypervisor.IsTestDriver)
                return CommandResult.Invalid($"The VM cannot be imported from {source.Name}: disk {string.Join(", ", uncovered)} of {what} has no exported image.");
        }
        StorageDomain? diskDomain = null;
        if (disks.Count > 0)
        {
            diskDomain = request.DiskDomainId is { } dd ? await db.StorageDomains.FirstOrDefaultAsync(d => d.Id == dd, ct)
                : target.Kind == StorageKind.File ? target
                : await db.StorageDomains.Where(d => d.Role == StorageRole.Data && d.Kind == StorageKind.File).OrderBy(d => d.Name).FirstOrDefaultAsync(ct);
            if (diskDomain is null || diskDomain.Role != StorageRole.Data || diskDomain.Kind != StorageKind.File)
                return CommandResult.Invalid("The disk images need a File data domain (a directory); add one, or choose one for the disks.");
        }

        var warnings = new List<string>();
        if (request.AsClone && ovf.Active?.Memory is not null) warnings.Add(CloneMemoryWarning);
        var defined = false;
        var copied = new List<(string Pool, string Volume)>();
        try
        {
            var step = 0;
            var steps = disks.Count + memory.Count + 1;

            // 1. The disk images, each a self-contained qcow2 copy under a new name, so a second import never collides.
            var images = new Dictionary<Guid, string>();
            foreach (var d in disks)
            {
                var copy = await s.Hypervisor.CopyVolumeAsync(source.PoolName, d.VolumeName, diskDomain!.PoolName, $"{Guid.NewGuid()}.qcow2", 0, VolumeFormat.Qcow2, ct);
                copied.Add((diskDomain.PoolName, copy.Name));
                images[d.VolumeId] = copy.Path;
                s.Notifier.Publish(new OperationProgress(newId, Operation, ++step / (double)steps, false));
            }
            string OnImportedDisks(string config, IReadOnlyList<OvfDisk> list) =>
                list.Count == 0 ? config : DiskSources.Retarget(config, list.ToDictionary(d => d.Target, d => images[d.VolumeId]));

            // 2. The domain, as exported (or renamed with a new id for a clone), on the imported disks.
            var activeDisks = ovf.Active?.DiskList ?? [];
            var xml = OnImportedDisks(request.AsClone ? DomainXml.AsNewDomain(ovf.DomainXml, name, newId) : Renamed(ovf.DomainXml, name), activeDisks);
            await s.Hypervisor.DefineDomainAsync(xml, ct);
            defined = true;

            // 3. The memory volumes, copied into the target (preallocated on block storage, which cannot grow). The
            // export domain names them by GUID; the target may name them itself (a disk pool's partitions).
            var volumes = new Dictionary<Guid, MemoryVolume>();
            var block = target.Kind == StorageKind.Block;
            foreach (var m in memory)
            {
                var size = kept.First(k => k.Memory?.DumpVolumeId == m.DumpVolumeId).MemorySizeBytes;
                var mv = new MemoryVolume
                {
                    StorageDomainId = target.Id, DumpImageId = m.DumpImageId, DumpVolumeId = m.DumpVolumeId,
                    ConfImageId = m.ConfImageId ?? Guid.NewGuid(), ConfVolumeId = m.ConfVolumeId ?? Guid.NewGuid(),
                    SizeBytes = size, CreatedAt = s.Now, DumpPath = "", ConfPath = "", DumpVolumeName = "", ConfVolumeName = "",
                };
                var dump = await s.Hypervisor.CopyVolumeAsync(source.PoolName, mv.DumpVolumeId.ToString(), target.PoolName, mv.DumpVolumeId.ToString(),
                    block ? size : 0, VolumeFormat.Raw, ct);
                copied.Add((target.PoolName, dump.Name));
                var conf = m.ConfVolumeId is null
                    ? await s.Hypervisor.CreateVolumeAsync(target.PoolName, mv.ConfVolumeId.ToString(), MemoryVolumeStore.ConfigVolumeBytes, block, ct)
                    : await s.Hypervisor.CopyVolumeAsync(source.PoolName, mv.ConfVolumeId.ToString(), target.PoolName, mv.ConfVolumeId.ToString(),
                        block ? MemoryVolumeStore.ConfigVolumeBytes : 0, VolumeFormat.Raw, ct);
                copied.Add((target.PoolName, conf.Name));
                (mv.DumpVolumeName, mv.DumpPath, mv.ConfVolumeName, mv.ConfPath) = (dump.Name, dump.Path, conf.Name, conf.Path);
                volumes[m.DumpVolumeId] = mv;
                s.Notifier.Publish(new OperationProgress(newId, Operation, ++step / (double)steps, false));
            }

            // 4. The hypervisor's snapshot records that hold the memory, pointing at the copied dumps.
            foreach (var h in kept.Where(k => k.Memory is not null && k.HypervisorXml is not null && volumes.ContainsKey(k.Memory.DumpVolumeId)).DistinctBy(k => k.HypervisorName))
                await s.Hypervisor.RedefineSnapshotAsync(newId, RetargetMemory(h.HypervisorXml!, volumes[h.Memory!.DumpVolumeId].DumpPath), ct);

            // 5. The database: the VM, its snapshots (on the imported disks) and memory volumes.
            var doc = DomainXml.Parse(xml);
            var vm = new Vm
            {
                Id = newId, Name = name, ClusterId = cluster.Id, HostId = host?.Id, MemoryMiB = DomainXml.MemoryMiB(doc),
                VideoRamKiB = DomainXml.VideoRamKiB(doc), IsStateless = ovf.IsStateless, Status = VmStatus.Down, StatusSince = s.Now,
            };
            var keptIds = kept.Select(k => k.Id).ToHashSet();
            foreach (var k in kept)
            {
                var mv = !request.AsClone && k.Memory is not null ? volumes[k.Memory.DumpVolumeId] : null;
                vm.Snapshots.Add(new Snapshot
                {
                    Id = request.AsClone ? Guid.NewGuid() : k.Id, VmId = newId, Description = k.Description, CreatedAt = k.CreatedAt,
                    Type = k.Type == OvfDocument.ActiveType ? SnapshotType.Active : SnapshotType.Regular, Status = SnapshotStatus.Ok,
                    ConfigurationXml = request.AsClone ? xml : OnImportedDisks(k.Configuration, k.DiskList), MemoryVolume = mv,
                    ParentId = k.ParentId is { } p && keptIds.Contains(p) && !request.AsClone ? p : null,
                    HypervisorName = mv is not null && k.Type != OvfDocument.ActiveType ? k.HypervisorName : null,
                    HypervisorXml = mv is not null && k.Type != OvfDocument.ActiveType && k.HypervisorXml is not null ? RetargetMemory(k.HypervisorXml, mv.DumpPath) : null,
                });
            }
            foreach (var mv in volumes.Values) db.MemoryVolumes.Add(mv);
            db.Vms.Add(vm);
            await db.SaveChangesAsync(ct);
            s.Monitor.Prime(newId, VmStatus.Down);
            s.Notifier.Publish(new VmInventoryChanged());
            var message = $"Vm {name} was imported successfully to Data Domain {target.Name}: {kept.Count} snapshot(s), {volumes.Count} memory volume(s)" +
                          (disks.Count > 0 ? $", {disks.Count} disk image(s) on {diskDomain!.Name}" : "") +
                          (request.AsClone ? ", as a clone." : request.Collapse ? ", snapshots collapsed." : ".");
            await s.Audit.WriteAsync(actor.UserName, newId, name, Operation, warnings.Count == 0 ? AuditOutcome.Success : AuditOutcome.Warning,
                message + (warnings.Count > 0 ? " " + string.Join(" ", warnings) : ""));
            return CommandResult.Ok(newId, message, warnings);
        }
        catch (Exception ex)
        {
            var reason = ex.Message;
            string? cleanup = null;
            try
            {
                foreach (var (pool, volume) in copied) await s.Hypervisor.DeleteVolumeAsync(pool, volume, CancellationToken.None);
                if (defined) await s.Hypervisor.UndefineDomainAsync(newId, CancellationToken.None);
                db.ChangeTracker.Clear();
                await db.Vms.Where(v => v.Id == newId).ExecuteDeleteAsync(CancellationToken.None);
            }
            catch (Exception cex) { cleanup = cex.Message; }
            var text = $"Failed to import Vm {name} to Data Domain {target.Name}: {reason}" + (cleanup is null ? "" : $" Cleaning up also failed: {cleanup}");
            await s.Audit.WriteAsync(actor.UserName, null, name, Operation, AuditOutcome.Failure, text);
            return CommandResult.Failed(text);
        }
        finally
        {
            s.Notifier.Publish(new OperationProgress(newId, Operation, 1, Done: true));
        }
    }

    private static string Renamed(string domainXml, string name)
    {
        var d = DomainXml.Parse(domainXml);
        d.Root!.SetElementValue("name", name);
        return d.ToString(SaveOptions.DisableFormatting);
    }

    /// <summary>Points a libvirt snapshot record at the copied dump, and drops its parent (not necessarily imported).</summary>
    private static string RetargetMemory(string snapshotXml, string dumpPath)
    {
        var d = DomainXml.Parse(snapshotXml);
        d.Root!.Element("memory")?.SetAttributeValue("file", dumpPath);
        d.Root.Element("parent")?.Remove();
        return d.ToString(SaveOptions.DisableFormatting);
    }
}
