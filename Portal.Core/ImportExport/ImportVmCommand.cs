using System.Text.RegularExpressions;
using System.Xml.Linq;
using Microsoft.EntityFrameworkCore;
using Portal.Core.Auth;
using Portal.Core.Clusters;
using Portal.Core.Commands;
using Portal.Core.Hosts;
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
/// configuration pointed at the copies), or, as a clone, a new VM without memory.
/// </summary>
/// <remarks>
/// Journal steps: <c>copying-disk</c> and <c>copying-memory</c> (each copy journaled with its undo before it is made),
/// <c>defining</c>, <c>redefining-snapshots</c>, then the commit that records the VM. Interrupted before the commit,
/// every copy and the domain go again.
/// </remarks>
public sealed partial class ImportVmCommand(CommandServices s, ExportDomainStore store) : Command<ImportVmRequest, ImportVmCommand.Run>(s)
{
    public override string Operation => Audit.AuditOperations.ImportVm;
    public const string CloneMemoryWarning = "The VM was imported as a clone: the memory saved with its active snapshot was not imported, so it will boot fresh.";

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")]
    private static partial Regex NamePattern();

    public sealed class Run : CommandRun<ImportVmRequest>
    {
        public StorageDomain Source = null!, Target = null!;
        public StorageDomain? DiskDomain;
        public OvfVm Ovf = null!;
        public Guid NewId;
        public string Name = "";
        public Cluster Cluster = null!;
        public Host? Host;
        public List<OvfSnapshot> Kept = [];
        public List<MemoryReference> Memory = [];
        public List<OvfDisk> Disks = [];
        public bool Succeeded;
    }

    public override CommandResult? Authorize(Actor actor) =>
        actor.IsAdmin ? null : CommandResult.Forbidden($"{Operation} needs the Admin role; {actor.UserName} is Helpdesk.");

    // The exported VM's id: two imports of one exported VM never run at once (a clone also holds its new id, below).
    protected override Task<(IDisposable? Lock, string? HeldBy)> AcquireAsync(ImportVmRequest request, CancellationToken ct)
    {
        var l = S.Locks.TryAcquire(request.VmId, Operation, out var heldBy);
        return Task.FromResult((l, heldBy));
    }

    protected override void Released(ImportVmRequest request) => S.Notifier.Publish(new OperationProgress(request.VmId, Operation, 1, Done: true));

    protected override (Guid? VmId, string? VmName) Subject(Run run) => (run.Succeeded ? run.NewId : null, run.Name.Length > 0 ? run.Name : null);

    protected override async Task<Refusal?> PrepareAsync(Run run, CancellationToken ct)
    {
        var request = run.Request;
        var db = run.Db;
        var source = await db.StorageDomains.FirstOrDefaultAsync(d => d.Id == request.ExportDomainId, ct);
        var target = await db.StorageDomains.FirstOrDefaultAsync(d => d.Id == request.TargetDomainId, ct);
        if (source is null || source.Role != StorageRole.Export) return Refusal.Missing("The export domain does not exist.");
        if (target is null || target.Role != StorageRole.Data) return Refusal.BadInput("Choose a data domain to import into.");
        (run.Source, run.Target) = (source, target);

        try { run.Ovf = await store.ReadAsync(source, request.VmId, ct); }
        catch (OvfException ex) { return Refusal.BadInput($"The VM cannot be imported from {source.Name}: {ex.Message}"); }
        var ovf = run.Ovf;

        run.NewId = request.AsClone ? Guid.NewGuid() : ovf.Id;
        run.Name = string.IsNullOrWhiteSpace(request.NewName) ? (request.AsClone ? $"{ovf.Name}-clone" : ovf.Name) : request.NewName.Trim();
        run.Record.VmId = run.NewId;
        run.Record.VmName = run.Name;
        if (!request.AsClone && await db.Vms.FirstOrDefaultAsync(v => v.Id == ovf.Id, ct) is { } existing)
            return new Refusal($"A VM with id {ovf.Id} ({existing.Name}) already exists. Import it as a clone to get a copy with a new id.");
        if (!NamePattern().IsMatch(run.Name))
            return Refusal.BadInput("A VM name has 1 to 64 letters, digits, '.', '_' or '-', and starts with a letter or digit.");
        if (await db.Vms.AnyAsync(v => v.Name == run.Name, ct))
            return Refusal.BadInput($"A VM named {run.Name} already exists; give the imported VM another name.");
        run.Cluster = await db.Clusters.FirstOrDefaultAsync(c => c.Id == request.ClusterId, ct)
                      ?? await db.Clusters.FirstOrDefaultAsync(c => c.Name == ovf.ClusterName, ct)
                      ?? await db.Clusters.OrderBy(c => c.Name).FirstAsync(ct);
        run.Host = await db.Hosts.FirstOrDefaultAsync(h => h.Uri == S.Hypervisor.Uri, ct);
        run.Record.HostId = run.Host?.Id;

        var kept = run.Kept = ovf.Snapshots.Where(x => x.Type == OvfDocument.ActiveType || (!request.Collapse && !request.AsClone)).ToList();
        run.Memory = request.AsClone ? [] : kept.Select(x => x.Memory).OfType<MemoryReference>().DistinctBy(m => m.DumpVolumeId).ToList();
        var need = run.Memory.Sum(m => kept.First(k => k.Memory?.DumpVolumeId == m.DumpVolumeId).MemorySizeBytes + MemoryVolumeStore.ConfigVolumeBytes);
        if (need > 0)
        {
            var pool = await S.Hypervisor.GetPoolAsync(target.PoolName, ct);
            if (pool.AvailableBytes < need)
                return new Refusal($"{target.Name} has {pool.AvailableBytes >> 20} MiB free; the memory volumes need {need >> 20} MiB.");
        }

        // Disk images: every disk of every imported configuration must come from the export domain, so no path in an
        // OVF can make the VM open a file or device of the host. (The test driver has no disk images: its disks stay.)
        run.Disks = kept.SelectMany(k => k.DiskList).DistinctBy(d => d.VolumeId).ToList();
        foreach (var (what, config, list) in kept.Select(k => ($"snapshot '{k.Description}'", k.Configuration, k.DiskList))
                     .Prepend(("the VM's definition", ovf.DomainXml, ovf.Active?.DiskList ?? [])))
        {
            var uncovered = DiskSources.Uncovered(config, list);
            if (uncovered.Count > 0 && !S.Hypervisor.IsTestDriver)
                return Refusal.BadInput($"The VM cannot be imported from {source.Name}: disk {string.Join(", ", uncovered)} of {what} has no exported image.");
        }
        if (run.Disks.Count > 0)
        {
            run.DiskDomain = request.DiskDomainId is { } dd ? await db.StorageDomains.FirstOrDefaultAsync(d => d.Id == dd, ct)
                : target.Kind == StorageKind.File ? target
                : await db.StorageDomains.Where(d => d.Role == StorageRole.Data && d.Kind == StorageKind.File).OrderBy(d => d.Name).FirstOrDefaultAsync(ct);
            if (run.DiskDomain is null || run.DiskDomain.Role != StorageRole.Data || run.DiskDomain.Kind != StorageKind.File)
                return Refusal.BadInput("The disk images need a File data domain (a directory); add one, or choose one for the disks.");
        }
        return null;
    }

    protected override async Task<object?> ExecuteCoreAsync(Run run, CancellationToken ct)
    {
        var (request, ovf, source, target, newId, name) = (run.Request, run.Ovf, run.Source, run.Target, run.NewId, run.Name);
        // A clone's new id is held too, so the inventory does not record its domain before this command does.
        using var making = request.AsClone ? S.Locks.TryAcquire(newId, Operation, out _) : null;
        if (request.AsClone && ovf.Active?.Memory is not null) run.Warnings.Add(CloneMemoryWarning);
        var step = 0;
        var steps = run.Disks.Count + run.Memory.Count + 1;
        void Progress() => S.Notifier.Publish(new OperationProgress(request.VmId, Operation, ++step / (double)steps, false));

        // 1. The disk images, each a self-contained qcow2 copy under a new name, so a second import never collides.
        var images = new Dictionary<Guid, string>();
        foreach (var d in run.Disks)
        {
            var copyName = $"{Guid.NewGuid()}.qcow2";
            await run.WillAsync("copying-disk", new DeleteVolumeStep(run.DiskDomain!.PoolName, copyName), ct);
            var copy = await S.Hypervisor.CopyVolumeAsync(source.PoolName, d.VolumeName, run.DiskDomain.PoolName, copyName, 0, VolumeFormat.Qcow2, ct);
            images[d.VolumeId] = copy.Path;
            Progress();
        }
        string OnImportedDisks(string config, IReadOnlyList<OvfDisk> list) =>
            list.Count == 0 ? config : DiskSources.Retarget(config, list.ToDictionary(d => d.Target, d => images[d.VolumeId]));

        // 2. The memory volumes, copied into the target (preallocated on block storage, which cannot grow). The
        // export domain names them by GUID; the target may name them itself (a disk pool's partitions).
        var volumes = new Dictionary<Guid, MemoryVolume>();
        var block = target.Kind == StorageKind.Block;
        foreach (var m in run.Memory)
        {
            var size = run.Kept.First(k => k.Memory?.DumpVolumeId == m.DumpVolumeId).MemorySizeBytes;
            var mv = new MemoryVolume
            {
                StorageDomainId = target.Id, DumpImageId = m.DumpImageId, DumpVolumeId = m.DumpVolumeId,
                ConfImageId = m.ConfImageId ?? Guid.NewGuid(), ConfVolumeId = m.ConfVolumeId ?? Guid.NewGuid(),
                SizeBytes = size, CreatedAt = S.Now, DumpPath = "", ConfPath = "", DumpVolumeName = "", ConfVolumeName = "",
            };
            await run.WillAsync("copying-memory", new DiscardMemoryVolumeStep(mv.Id, target.PoolName, mv.DumpVolumeId.ToString(), mv.ConfVolumeId.ToString()), ct);
            var dump = await S.Hypervisor.CopyVolumeAsync(source.PoolName, mv.DumpVolumeId.ToString(), target.PoolName, mv.DumpVolumeId.ToString(),
                block ? size : 0, VolumeFormat.Raw, ct);
            if (dump.Name != mv.DumpVolumeId.ToString()) await run.WillAsync("copying-memory", new DeleteVolumeStep(target.PoolName, dump.Name), ct);
            var conf = m.ConfVolumeId is null
                ? await S.Hypervisor.CreateVolumeAsync(target.PoolName, mv.ConfVolumeId.ToString(), MemoryVolumeStore.ConfigVolumeBytes, block, ct)
                : await S.Hypervisor.CopyVolumeAsync(source.PoolName, mv.ConfVolumeId.ToString(), target.PoolName, mv.ConfVolumeId.ToString(),
                    block ? MemoryVolumeStore.ConfigVolumeBytes : 0, VolumeFormat.Raw, ct);
            (mv.DumpVolumeName, mv.DumpPath, mv.ConfVolumeName, mv.ConfPath) = (dump.Name, dump.Path, conf.Name, conf.Path);
            if (conf.Name != mv.ConfVolumeId.ToString()) await run.WillAsync("copying-memory", new DeleteVolumeStep(target.PoolName, conf.Name), ct);
            volumes[m.DumpVolumeId] = mv;
            Progress();
        }

        // 3. The domain, as exported (or renamed with a new id for a clone), on the imported disks.
        var activeDisks = ovf.Active?.DiskList ?? [];
        var xml = OnImportedDisks(request.AsClone ? DomainXml.AsNewDomain(ovf.DomainXml, name, newId) : Renamed(ovf.DomainXml, name), activeDisks);
        await run.WillAsync("defining", new UndefineDomainStep(newId), ct);
        await S.Hypervisor.DefineDomainAsync(xml, ct);

        // 4. The hypervisor's snapshot records that hold the memory, pointing at the copied dumps.
        foreach (var h in run.Kept.Where(k => k.Memory is not null && k.HypervisorXml is not null && volumes.ContainsKey(k.Memory.DumpVolumeId)).DistinctBy(k => k.HypervisorName))
            await S.Hypervisor.RedefineSnapshotAsync(newId, RetargetMemory(h.HypervisorXml!, volumes[h.Memory!.DumpVolumeId].DumpPath), ct);

        // 5. The database: the VM, its snapshots (on the imported disks) and memory volumes, as the commit.
        var doc = DomainXml.Parse(xml);
        var vm = new Vm
        {
            Id = newId, Name = name, ClusterId = run.Cluster.Id, HostId = run.Host?.Id, MemoryMiB = DomainXml.MemoryMiB(doc),
            VideoRamKiB = DomainXml.VideoRamKiB(doc), IsStateless = ovf.IsStateless, Status = VmStatus.Down, StatusSince = S.Now,
        };
        var keptIds = run.Kept.Select(k => k.Id).ToHashSet();
        foreach (var k in run.Kept)
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
        foreach (var mv in volumes.Values) run.Db.MemoryVolumes.Add(mv);
        run.Db.Vms.Add(vm);
        run.Commit();
        await run.SaveAsync("recorded", ct);
        run.Succeeded = true;
        S.Monitor.Prime(newId, VmStatus.Down);
        S.Notifier.Publish(new VmInventoryChanged());
        run.AuditMessage = $"Vm {name} was imported successfully to Data Domain {target.Name}: {run.Kept.Count} snapshot(s), {volumes.Count} memory volume(s)" +
                           (run.Disks.Count > 0 ? $", {run.Disks.Count} disk image(s) on {run.DiskDomain!.Name}" : "") +
                           (request.AsClone ? ", as a clone." : request.Collapse ? ", snapshots collapsed." : ".");
        return newId;
    }

    protected override string SuccessMessage(Run run) =>
        run.AuditMessage + (run.Warnings.Count > 0 ? " " + string.Join(" ", run.Warnings) : "");

    protected override string FailureMessage(Run run, string reason) =>
        $"Failed to import Vm {run.Name} to Data Domain {run.Target?.Name}: {reason}";

    protected override async Task AfterUndoAsync(OperationRecord record, CancellationToken ct)
    {
        if (record.VmId is { } id) S.Monitor.Forget(id);
        await Task.CompletedTask;
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
