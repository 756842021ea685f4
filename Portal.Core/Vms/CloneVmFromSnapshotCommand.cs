using System.Text.RegularExpressions;
using Microsoft.EntityFrameworkCore;
using Portal.Core.Commands;
using Portal.Core.Snapshots;

namespace Portal.Core.Vms;

public sealed record CloneVmFromSnapshotRequest(Guid VmId, Guid SnapshotId, string NewName) : IVmRequest;

/// <summary>
/// Makes a new VM from a snapshot's configuration. The clone never has memory: a snapshot's memory belongs to
/// the VM it was taken of, so it is discarded with a warning.
/// </summary>
public sealed partial class CloneVmFromSnapshotCommand(CommandServices s) : VmCommand<CloneVmFromSnapshotRequest>(s)
{
    public override string Operation => "Clone VM from snapshot";

    public const string MemoryDiscardedWarning = "The snapshot's memory will be discarded: the clone starts with a fresh boot.";

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")]
    private static partial Regex NamePattern();

    private static Snapshot? Source(CommandContext<CloneVmFromSnapshotRequest> ctx) =>
        ctx.Vm.Snapshots.FirstOrDefault(x => x.Id == ctx.Request.SnapshotId);

    protected override IEnumerable<Refusal?> Validate(CommandContext<CloneVmFromSnapshotRequest> ctx)
    {
        yield return Rules.SnapshotExists(Source(ctx));
        yield return Rules.SnapshotIsOk(Source(ctx)!, "clone from it");
        yield return Rules.IsRegular(Source(ctx)!, "clone from it");
        yield return NamePattern().IsMatch(ctx.Request.NewName ?? "") ? null
            : Refusal.BadInput("A VM name has 1 to 64 letters, digits, '.', '_' or '-', and starts with a letter or digit.");
        yield return ctx.Db.Vms.Any(v => v.Name == ctx.Request.NewName) ? Refusal.BadInput($"A VM named {ctx.Request.NewName} already exists.") : null;
    }

    protected override async Task<object?> ExecuteCoreAsync(CommandContext<CloneVmFromSnapshotRequest> ctx, CancellationToken ct)
    {
        var source = Source(ctx)!;
        var id = Guid.NewGuid();
        // Hold the new VM until its row is saved: the inventory sees the domain appear and would add it first.
        using var making = S.Locks.TryAcquire(id, Operation, out _);
        if (source.HasMemory) ctx.Warnings.Add(MemoryDiscardedWarning);
        var xml = DomainXml.AsNewDomain(source.ConfigurationXml, ctx.Request.NewName, id);
        // Hold the new VM too, so the inventory does not record its domain before this command does.
        using var cloneLock = S.Locks.TryAcquire(id, Operation, out _);
        // On the source VM's host, where its disks are.
        if (ctx.Vm.HostId is { } host) S.Hosts.Place(id, host);
        var info = await S.Hypervisor.DefineDomainAsync(xml, ct);
        ctx.StateAs<CloneState>().Defined = info.Id;
        var doc = DomainXml.Parse(xml);
        var clone = new Vm
        {
            Id = info.Id, Name = ctx.Request.NewName, ClusterId = ctx.Vm.ClusterId, HostId = ctx.Vm.HostId,
            MemoryMiB = DomainXml.MemoryMiB(doc), VideoRamKiB = DomainXml.VideoRamKiB(doc), IsStateless = ctx.Vm.IsStateless,
            Status = VmStatus.Down, StatusSince = S.Now,
        };
        clone.Snapshots.Add(new Snapshot
        {
            VmId = clone.Id, Description = Snapshot.ActiveDescription, CreatedAt = S.Now, Type = SnapshotType.Active,
            Status = SnapshotStatus.Ok, ConfigurationXml = xml,
        });
        ctx.Db.Vms.Add(clone);
        await ctx.Db.SaveChangesAsync(ct);
        S.Monitor.Prime(clone.Id, VmStatus.Down);
        S.Notifier.Publish(new VmInventoryChanged());
        ctx.AuditMessage = $"VM {clone.Name} was created from snapshot '{source.Description}' of VM {ctx.Vm.Name}" +
                           (source.HasMemory ? "; the snapshot's memory was discarded." : ".");
        return clone.Id;
    }

    private sealed class CloneState
    {
        public Guid? Defined;
    }

    protected override async Task CompensateAsync(CommandContext<CloneVmFromSnapshotRequest> ctx, Exception error)
    {
        if (ctx.StateAs<CloneState>().Defined is { } id)
        {
            await S.Hypervisor.UndefineDomainAsync(id, CancellationToken.None);
            ctx.Db.ChangeTracker.Clear();
            await ctx.Db.Vms.Where(v => v.Id == id).ExecuteDeleteAsync();
        }
    }
}
