using System.Xml.Linq;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Portal.Core.Commands;
using Portal.Core.Hypervisor;
using Portal.Core.Libvirt;
using Portal.Core.Vms;

namespace Portal.Core.Snapshots;

/// <summary>Steps several snapshot commands share: removing snapshots with their references, previewing, committing.</summary>
public static class SnapshotChain
{
    /// <summary>
    /// Removes <paramref name="doomed"/> from the VM in the run's context (children are re-parented past them) and
    /// returns the cleanups that follow the commit: the hypervisor's records, the disk overlays only they used, and
    /// the memory volumes nothing references any more.
    /// </summary>
    public static CompensationStep[] RemoveRows(CommandRun run, Vm vm, IReadOnlyCollection<Snapshot> doomed)
    {
        if (doomed.Count == 0) return [];
        var ids = doomed.Select(d => d.Id).ToHashSet();
        foreach (var child in vm.Snapshots.Where(c => c.ParentId is { } p && ids.Contains(p)))
        {
            var parent = child.ParentId;
            while (parent is { } pid && ids.Contains(pid)) parent = vm.Snapshots.First(x => x.Id == pid).ParentId;
            child.ParentId = parent;
        }
        foreach (var d in doomed)
        {
            vm.Snapshots.Remove(d);
            run.Db.Snapshots.Remove(d);
            run.NotifyAfterSave(new SnapshotChanged(vm.Id, d.Id, "Removed"));
        }
        var then = new List<CompensationStep>();
        then.AddRange(doomed.Where(d => d.HypervisorName is not null).Select(d => new DeleteHypervisorSnapshotStep(vm.Id, d.HypervisorName!)));
        then.Add(new ReleaseDiskOverlaysStep(vm.Id, doomed.Select(d => d.ConfigurationXml).ToList()));
        var memory = doomed.Where(d => d.MemoryVolumeId is not null).Select(d => d.MemoryVolumeId!.Value).Distinct().ToList();
        if (memory.Count > 0) then.Add(new ReleaseMemoryStep(memory));
        return [.. then];
    }

    /// <summary>
    /// The first half of a preview (oVirt's TryBackToAllSnapshotsOfVm), shared by Preview and Restore: fresh overlays on
    /// the snapshot's images, the VM defined on them (both journaled with their undo first), then, in the run's context,
    /// the old Active becomes "Active VM before the preview" with its memory, the snapshot goes InPreview, and a new
    /// Active is made from it, with the snapshot's memory when <paramref name="restoreMemory"/>.
    /// </summary>
    public static async Task<Snapshot> PreviewAsync<TRequest>(CommandServices s, VmRun<TRequest> run, Snapshot target, bool restoreMemory, CancellationToken ct)
        where TRequest : IVmRequest
    {
        var vm = run.Vm;
        var oldActive = run.Active;
        var restore = restoreMemory && target.HasMemory && vm.Cluster!.SupportsMemorySnapshots;
        await s.Monitor.SetStatusAsync(vm.Id, VmStatus.ImageLocked, "previewing a snapshot", ct);

        var newActiveId = Guid.NewGuid();
        // Fresh overlays on the snapshot's images: the previewed VM never writes into the snapshot itself.
        await run.WillAsync("overlays-planned", new DiscardPreparedOverlaysStep(vm.Id, target.ConfigurationXml, newActiveId.ToString()), ct);
        var config = await s.Hypervisor.WithFreshOverlaysAsync(target.ConfigurationXml, newActiveId.ToString(), ct);
        var current = await s.Hypervisor.GetDomainXmlAsync(vm.Id, inactive: true, ct);
        await run.WillAsync("defining", new RedefineDomainStep(vm.Id, current), ct);
        await s.Hypervisor.DefineDomainAsync(config, ct);

        oldActive.Type = SnapshotType.Preview;
        oldActive.Description = Snapshot.PreviewDescription;
        target.Status = SnapshotStatus.InPreview;
        var newActive = new Snapshot
        {
            Id = newActiveId, VmId = vm.Id, Description = Snapshot.ActiveDescription, CreatedAt = s.Now, Type = SnapshotType.Active,
            Status = SnapshotStatus.Ok, ConfigurationXml = config, ParentId = target.Id,
            MemoryVolumeId = restore ? target.MemoryVolumeId : null,
        };
        vm.Snapshots.Add(newActive);
        return newActive;
    }

    /// <summary>
    /// Commits the snapshot in preview in the run's context (oVirt's RestoreAllSnapshotsCommand): it is Ok again, the
    /// pre-preview Active and every regular snapshot newer than it go. Returns the snapshot and the cleanups that follow.
    /// </summary>
    public static (Snapshot Committed, int Removed, CompensationStep[] Then) Commit(CommandRun run, Vm vm)
    {
        var committed = vm.Snapshots.Single(x => x.Status == SnapshotStatus.InPreview);
        var doomed = vm.Snapshots.Where(x =>
            x.Type == SnapshotType.Preview ||
            (x.Type == SnapshotType.Regular && x.Id != committed.Id && x.CreatedAt > committed.CreatedAt)).ToList();
        committed.Status = SnapshotStatus.Ok;
        return (committed, doomed.Count(d => d.Type == SnapshotType.Regular), RemoveRows(run, vm, doomed));
    }

    /// <summary>
    /// After configurations were dropped (snapshots removed, a preview undone, a stateless run ended): deletes the
    /// disk overlays only they wrote to, unless a remaining snapshot still writes to one or builds on it. The
    /// operation has already succeeded, so a host that refuses is logged, not failed: the overlay only takes space.
    /// </summary>
    public static async Task ReleaseDiskOverlaysAsync(CommandServices s, Vm vm, IEnumerable<string> droppedConfigs, CancellationToken ct)
    {
        var candidates = droppedConfigs.SelectMany(DomainXml.DiskFiles).ToHashSet();
        if (candidates.Count == 0) return;
        var inUse = vm.Snapshots.SelectMany(x => DomainXml.DiskFiles(x.ConfigurationXml)).ToHashSet();
        try
        {
            var deleted = await s.Hypervisor.DeleteUnusedOverlaysAsync(candidates, inUse, ct);
            if (deleted.Count > 0) s.Loggers.CreateLogger(typeof(SnapshotChain)).LogInformation("Disk overlays of VM {VmName} no snapshot uses any more were deleted: {Paths}", vm.Name, deleted);
        }
        catch (HypervisorException ex)
        {
            s.Loggers.CreateLogger(typeof(SnapshotChain)).LogWarning("Disk overlays of VM {VmName} could not be deleted: {Error}", vm.Name, ex.LibvirtMessage);
        }
    }
}

/// <summary>
/// Deletes the overlays <see cref="IHypervisor.WithFreshOverlaysAsync"/> makes for <paramref name="Tag"/> on the images
/// of <paramref name="SourceConfiguration"/>, unless a snapshot of the VM uses them. Journaled before they are made, so
/// a crash between making them and recording them leaves nothing behind.
/// </summary>
public sealed record DiscardPreparedOverlaysStep(Guid VmId, string SourceConfiguration, string Tag) : CompensationStep
{
    public override string Describe() => $"delete the disk overlays prepared for VM {VmId}";

    public override async Task RunAsync(StepContext c, CancellationToken ct)
    {
        var candidates = SnapshotXml.FileDisks(XDocument.Parse(SourceConfiguration)).Select(d => SnapshotXml.OverlayPath(d.Source, Tag)).ToList();
        if (candidates.Count == 0) return;
        var configs = await c.Db.Snapshots.AsNoTracking().Where(s => s.VmId == VmId).Select(s => s.ConfigurationXml).ToListAsync(ct);
        await c.S.Hypervisor.DeleteUnusedOverlaysAsync(candidates, configs.SelectMany(DomainXml.DiskFiles).ToHashSet(), ct);
    }
}
