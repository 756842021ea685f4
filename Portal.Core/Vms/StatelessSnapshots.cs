using Portal.Core.Commands;
using Portal.Core.Snapshots;

namespace Portal.Core.Vms;

/// <summary>A stateless VM's run/stop pair: a Stateless snapshot is taken at run and restored at stop.</summary>
internal static class StatelessSnapshots
{
    /// <summary>Copies the Active snapshot as the Stateless one, sharing its memory reference.</summary>
    public static Snapshot Take(CommandServices s, Vm vm, Snapshot active)
    {
        var stateless = new Snapshot
        {
            VmId = vm.Id, Description = Snapshot.StatelessDescription, CreatedAt = s.Now, Type = SnapshotType.Stateless,
            Status = SnapshotStatus.Ok, ConfigurationXml = active.ConfigurationXml, ParentId = active.ParentId,
            MemoryVolumeId = active.MemoryVolumeId,
        };
        vm.Snapshots.Add(stateless);
        return stateless;
    }

    /// <summary>
    /// Makes the Stateless snapshot the Active one again, memory reference included, so the next run restores
    /// the same memory: the host's definition first (journaled), then every row in one transaction with the commit.
    /// Returns false when the VM has no Stateless snapshot.
    /// </summary>
    public static async Task<bool> RestoreAsync<TRequest>(CommandServices s, VmRun<TRequest> run, CancellationToken ct) where TRequest : IVmRequest
    {
        var vm = run.Vm;
        var stateless = vm.Snapshots.FirstOrDefault(x => x.Type == SnapshotType.Stateless);
        if (stateless is null) return false;
        var active = vm.Snapshots.Single(x => x.Type == SnapshotType.Active);
        var current = await s.Hypervisor.GetDomainXmlAsync(vm.Id, inactive: true, ct);
        if (!string.IsNullOrWhiteSpace(stateless.ConfigurationXml) && current != stateless.ConfigurationXml)
        {
            await run.WillAsync("defining", new RedefineDomainStep(vm.Id, current), ct);
            await s.Hypervisor.DefineDomainAsync(stateless.ConfigurationXml, ct);
        }
        vm.Snapshots.Remove(active);
        run.Db.Snapshots.Remove(active);
        stateless.Type = SnapshotType.Active;
        stateless.Description = Snapshot.ActiveDescription;
        var then = new List<CompensationStep> { new ReleaseDiskOverlaysStep(vm.Id, [active.ConfigurationXml]) };
        if (active.MemoryVolumeId is { } memory) then.Add(new ReleaseMemoryStep([memory]));
        run.Commit([.. then]);
        run.NotifyAfterSave(new SnapshotChanged(vm.Id, stateless.Id, "StatelessRestored"));
        await run.SaveAsync("stateless-restored", ct);
        return true;
    }
}
