using System.Text.RegularExpressions;
using Microsoft.EntityFrameworkCore;
using Portal.Core.Commands;
using Portal.Core.Hypervisor;
using Portal.Core.ImportExport;
using Portal.Core.Snapshots;

namespace Portal.Core.Vms;

public sealed record CloneVmFromSnapshotRequest(Guid VmId, Guid SnapshotId, string NewName) : IVmRequest;

/// <summary>
/// Makes a new VM from a snapshot's configuration, on copies of the snapshot's disk images. The clone never has
/// memory: a snapshot's memory belongs to the VM it was taken of, so it is discarded with a warning.
/// </summary>
/// <remarks>
/// Journal steps: <c>copying-disk</c> (each disk's copy, with how to delete it, before it is made), <c>defining</c>
/// (the new domain, with how to remove it), then the commit that records the new VM.
/// </remarks>
public sealed partial class CloneVmFromSnapshotCommand(CommandServices s) : VmCommand<CloneVmFromSnapshotRequest>(s), ISnapshotCommand
{
    public override string Operation => Audit.AuditOperations.CloneVmFromSnapshot;

    public const string MemoryDiscardedWarning = "The snapshot's memory will be discarded: the clone starts with a fresh boot.";

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")]
    internal static partial Regex NamePattern();

    public const string NameRule = "A VM name has 1 to 64 letters, digits, '.', '_' or '-', and starts with a letter or digit.";

    protected override Refusal? StateRefusal(VmFacts vm) => null;

    public Refusal? WhyRefused(VmFacts vm, SnapshotFacts? target) =>
        Rules.SnapshotExists(target) ?? WhyRefused(vm) ?? Rules.SnapshotIsOk(target!, "clone from it") ?? Rules.IsRegular(target!, "clone from it");

    private static Snapshot? Source(VmRun<CloneVmFromSnapshotRequest> run) => run.Vm.Snapshots.FirstOrDefault(x => x.Id == run.Request.SnapshotId);

    protected override IEnumerable<Refusal?> Validate(VmRun<CloneVmFromSnapshotRequest> run)
    {
        var source = Source(run);
        yield return Rules.SnapshotExists(source is null ? null : SnapshotFacts.Of(source));
        yield return Rules.SnapshotIsOk(SnapshotFacts.Of(source!), "clone from it");
        yield return Rules.IsRegular(SnapshotFacts.Of(source!), "clone from it");
        yield return NamePattern().IsMatch(run.Request.NewName ?? "") ? null : Refusal.BadInput(NameRule);
        yield return run.Db.Vms.Any(v => v.Name == run.Request.NewName) ? Refusal.BadInput($"A VM named {run.Request.NewName} already exists.") : null;
    }

    protected override async Task<object?> ExecuteCoreAsync(VmRun<CloneVmFromSnapshotRequest> run, CancellationToken ct)
    {
        var source = Source(run)!;
        var id = Guid.NewGuid();
        // Hold the new VM until its row is saved: the inventory sees the domain appear and would add it first.
        using var making = S.Locks.TryAcquire(id, Operation, out _);
        if (source.HasMemory) run.Warnings.Add(MemoryDiscardedWarning);
        // The clone's own disks: a self-contained qcow2 copy of each image the snapshot left (libvirt converts its whole
        // backing chain), in that image's pool. On the snapshot's own images the clone would write into what the source
        // VM's later disks are overlays of (and QEMU refuses to start it while the source runs: "Failed to get write
        // lock"). The test driver has no disk images.
        var images = await S.Hypervisor.GetDiskImagesAsync(source.ConfigurationXml, ct);
        var copies = new Dictionary<string, string>();
        foreach (var d in images)
        {
            var copyName = $"{run.Request.NewName}-{d.Target}-{id:N}.qcow2";
            await run.WillAsync("copying-disk", new DeleteVolumeStep(d.Pool, copyName), ct);
            copies[d.Target] = (await S.Hypervisor.CopyVolumeAsync(d.Pool, d.Volume, d.Pool, copyName, 0, VolumeFormat.Qcow2, ct)).Path;
            S.Notifier.Publish(new OperationProgress(run.Vm.Id, Operation, copies.Count / (images.Count + 1.0), false));
        }
        var configuration = copies.Count == 0 ? source.ConfigurationXml : DiskSources.Retarget(source.ConfigurationXml, copies);
        var xml = DomainXml.AsNewDomain(configuration, run.Request.NewName, id);
        // On the source VM's host, where its disks are.
        if (run.Vm.HostId is { } host) S.Hosts.Place(id, host);
        await run.WillAsync("defining", new UndefineDomainStep(id), ct);
        var info = await S.Hypervisor.DefineDomainAsync(xml, ct);
        var doc = DomainXml.Parse(xml);
        var clone = new Vm
        {
            Id = info.Id, Name = run.Request.NewName, ClusterId = run.Vm.ClusterId, HostId = run.Vm.HostId,
            MemoryMiB = DomainXml.MemoryMiB(doc), VideoRamKiB = DomainXml.VideoRamKiB(doc), IsStateless = run.Vm.IsStateless,
            Status = VmStatus.Down, StatusSince = S.Now,
        };
        clone.Snapshots.Add(new Snapshot
        {
            VmId = clone.Id, Description = Snapshot.ActiveDescription, CreatedAt = S.Now, Type = SnapshotType.Active,
            Status = SnapshotStatus.Ok, ConfigurationXml = xml,
        });
        run.Db.Vms.Add(clone);
        run.Commit();
        await run.SaveAsync("recorded", ct);
        S.Monitor.Prime(clone.Id, VmStatus.Down);
        S.Notifier.Publish(new VmInventoryChanged());
        run.AuditMessage = $"VM {clone.Name} was created from snapshot '{source.Description}' of VM {run.Vm.Name}" +
                           (source.HasMemory ? "; the snapshot's memory was discarded." : ".");
        return clone.Id;
    }
}
