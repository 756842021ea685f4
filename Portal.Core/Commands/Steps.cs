using Microsoft.EntityFrameworkCore;
using Portal.Core.Hypervisor;
using Portal.Core.Snapshots;

namespace Portal.Core.Commands;

// The undo and cleanup steps that operations share. Each is idempotent (see CompensationStep).

/// <summary>Deletes a volume from a pool, if it is there.</summary>
public sealed record DeleteVolumeStep(string Pool, string Name) : CompensationStep
{
    public override string Describe() => $"delete volume {Name} from pool {Pool}";
    public override Task RunAsync(StepContext c, CancellationToken ct) => c.S.Hypervisor.DeleteVolumeAsync(Pool, Name, ct);
}

/// <summary>
/// Discards a memory volume made by an operation that did not complete: no snapshot refers to it any more, both
/// volumes go from the host, then its row. Volume names are those asked for or those libvirt gave.
/// </summary>
public sealed record DiscardMemoryVolumeStep(Guid MemoryVolumeId, string Pool, string DumpName, string ConfName) : CompensationStep
{
    public override string Describe() => $"delete memory volume {MemoryVolumeId} ({DumpName}, {ConfName}) from pool {Pool}";

    public override async Task RunAsync(StepContext c, CancellationToken ct)
    {
        await c.Db.Snapshots.Where(s => s.MemoryVolumeId == MemoryVolumeId).ExecuteUpdateAsync(u => u.SetProperty(s => s.MemoryVolumeId, (Guid?)null), ct);
        await c.S.Hypervisor.DeleteVolumeAsync(Pool, DumpName, ct);
        await c.S.Hypervisor.DeleteVolumeAsync(Pool, ConfName, ct);
        await c.Db.MemoryVolumes.Where(m => m.Id == MemoryVolumeId).ExecuteDeleteAsync(ct);
    }
}

/// <summary>Lets go of memory volumes: each is deleted when no snapshot references it any more (the reference count).</summary>
public sealed record ReleaseMemoryStep(IReadOnlyList<Guid> MemoryVolumeIds) : CompensationStep
{
    public override string Describe() => $"release {MemoryVolumeIds.Count} memory volume(s)";

    public override Task RunAsync(StepContext c, CancellationToken ct)
    {
        c.ReleasedMemory.AddRange(MemoryVolumeIds);
        return Task.CompletedTask;
    }
}

/// <summary>Removes the hypervisor's record of a snapshot (its metadata; files are the portal's to remove).</summary>
public sealed record DeleteHypervisorSnapshotStep(Guid VmId, string Name) : CompensationStep
{
    public override string Describe() => $"delete the host's record of snapshot {Name}";

    public override async Task RunAsync(StepContext c, CancellationToken ct)
    {
        if ((await c.S.Hypervisor.ListSnapshotNamesAsync(VmId, ct)).Contains(Name))
            await c.S.Hypervisor.DeleteSnapshotAsync(VmId, Name, ct);
    }
}

/// <summary>Gives the host back its record of a snapshot, from the XML the portal kept.</summary>
public sealed record RedefineHypervisorSnapshotStep(Guid VmId, string Name, string Xml) : CompensationStep
{
    public override string Describe() => $"re-create the host's record of snapshot {Name}";

    public override async Task RunAsync(StepContext c, CancellationToken ct)
    {
        if (!(await c.S.Hypervisor.ListSnapshotNamesAsync(VmId, ct)).Contains(Name))
            await c.S.Hypervisor.RedefineSnapshotAsync(VmId, Xml, ct);
    }
}

/// <summary>Makes the host's definition of a VM the given configuration again.</summary>
public sealed record RedefineDomainStep(Guid VmId, string Xml) : CompensationStep
{
    public override string Describe() => $"define VM {VmId} on its host as it was";

    public override async Task RunAsync(StepContext c, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(Xml)) return;
        var current = await c.S.Hypervisor.FindDomainAsync(VmId, ct) is null ? null : await c.S.Hypervisor.GetDomainXmlAsync(VmId, inactive: true, ct);
        if (current != Xml) await c.S.Hypervisor.DefineDomainAsync(Xml, ct);
    }
}

/// <summary>Removes a domain an operation defined, if the host has it.</summary>
public sealed record UndefineDomainStep(Guid VmId) : CompensationStep
{
    public override string Describe() => $"remove the domain {VmId} from its host";

    public override async Task RunAsync(StepContext c, CancellationToken ct)
    {
        if (await c.S.Hypervisor.FindDomainAsync(VmId, ct) is { } d)
        {
            if (d.State is not DomainRunState.ShutOff) await c.S.Hypervisor.DestroyAsync(VmId, ct);
            await c.S.Hypervisor.UndefineDomainAsync(VmId, ct);
        }
    }
}

/// <summary>Stops a domain an operation started, if it runs.</summary>
public sealed record DestroyDomainStep(Guid VmId) : CompensationStep
{
    public override string Describe() => $"power off VM {VmId}";

    public override async Task RunAsync(StepContext c, CancellationToken ct)
    {
        if (await c.S.Hypervisor.FindDomainAsync(VmId, ct) is { State: not DomainRunState.ShutOff })
            await c.S.Hypervisor.DestroyAsync(VmId, ct);
    }
}

/// <summary>
/// libvirt pauses a running guest for a memory dump and resumes it when the snapshot ends, unless the daemon died on
/// the way: then the guest would stay paused although nobody asked for that.
/// </summary>
public sealed record ResumeIfPausedStep(Guid VmId) : CompensationStep
{
    public override string Describe() => $"resume VM {VmId}, which the interrupted memory dump left paused";

    public override async Task RunAsync(StepContext c, CancellationToken ct)
    {
        await c.S.Hypervisor.WaitForJobAsync(VmId, ct);
        if (await c.S.Hypervisor.FindDomainAsync(VmId, ct) is { State: DomainRunState.Paused })
            await c.S.Hypervisor.ResumeAsync(VmId, ct);
    }
}

/// <summary>Removes a VM row an operation added (its snapshots go with it).</summary>
public sealed record DeleteVmRowStep(Guid VmId) : CompensationStep
{
    public override string Describe() => $"forget VM {VmId}";

    public override async Task RunAsync(StepContext c, CancellationToken ct)
    {
        var memory = await c.Db.Snapshots.Where(s => s.VmId == VmId && s.MemoryVolumeId != null).Select(s => s.MemoryVolumeId!.Value).ToListAsync(ct);
        await c.Db.Vms.Where(v => v.Id == VmId).ExecuteDeleteAsync(ct);
        c.ReleasedMemory.AddRange(memory);
        c.S.Monitor.Forget(VmId);
        c.S.Notifier.Publish(new Vms.VmInventoryChanged());
    }
}

/// <summary>
/// Removes a snapshot row an operation added: its children (the Active, after a snapshot was taken) get back
/// <paramref name="Parent"/>, and the memory it referenced is released.
/// </summary>
public sealed record DiscardSnapshotRowStep(Guid VmId, Guid SnapshotId, Guid? Parent) : CompensationStep
{
    public override string Describe() => $"remove snapshot {SnapshotId}";

    public override async Task RunAsync(StepContext c, CancellationToken ct)
    {
        await c.Db.Snapshots.Where(s => s.VmId == VmId && s.ParentId == SnapshotId).ExecuteUpdateAsync(u => u.SetProperty(s => s.ParentId, Parent), ct);
        var memory = await c.Db.Snapshots.Where(s => s.Id == SnapshotId).Select(s => s.MemoryVolumeId).FirstOrDefaultAsync(ct);
        if (await c.Db.Snapshots.Where(s => s.Id == SnapshotId).ExecuteDeleteAsync(ct) > 0)
            c.S.Notifier.Publish(new Vms.SnapshotChanged(VmId, SnapshotId, "Removed"));
        if (memory is { } m) c.ReleasedMemory.Add(m);
    }
}

/// <summary>Puts a snapshot's status back.</summary>
public sealed record SetSnapshotStatusStep(Guid VmId, Guid SnapshotId, SnapshotStatus Status) : CompensationStep
{
    public override string Describe() => $"set snapshot {SnapshotId} {Status}";

    public override async Task RunAsync(StepContext c, CancellationToken ct)
    {
        if (await c.Db.Snapshots.Where(s => s.Id == SnapshotId).ExecuteUpdateAsync(u => u.SetProperty(s => s.Status, Status), ct) > 0)
            c.S.Notifier.Publish(new Vms.SnapshotChanged(VmId, SnapshotId, Status.ToString()));
    }
}

/// <summary>Deletes disk overlays that only dropped configurations used (<see cref="SnapshotChain.ReleaseDiskOverlaysAsync"/>).</summary>
public sealed record ReleaseDiskOverlaysStep(Guid VmId, IReadOnlyList<string> DroppedConfigurations) : CompensationStep
{
    public override string Describe() => $"delete the disk overlays of VM {VmId} that no snapshot uses";

    public override async Task RunAsync(StepContext c, CancellationToken ct)
    {
        var vm = await c.Db.Vms.AsNoTracking().Include(v => v.Snapshots).FirstOrDefaultAsync(v => v.Id == VmId, ct);
        if (vm is not null) await SnapshotChain.ReleaseDiskOverlaysAsync(c.S, vm, DroppedConfigurations, ct);
    }
}
