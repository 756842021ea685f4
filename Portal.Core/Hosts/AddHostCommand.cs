using Microsoft.EntityFrameworkCore;
using Portal.Core.Commands;

namespace Portal.Core.Hosts;

/// <param name="Name">Letters, digits, '.', '_' and '-'; unique, whatever the case.</param>
/// <param name="Uri">A libvirt URI (<see cref="HostRules.UriIsValid"/>) no other host has.</param>
/// <param name="ClusterId">The cluster its VMs join when their domain names none. Default: the primary host's cluster.</param>
public sealed record AddHostRequest(string? Name, string? Uri, Guid? ClusterId = null);

/// <summary>
/// Adds a host by its libvirt URI and connects to it. A host that cannot be reached is still added, shown Disconnected
/// with libvirt's reason, and the portal keeps trying (as oVirt keeps a NonResponsive host): a host down for
/// maintenance, or not yet reachable from here, can be registered all the same. The result then carries libvirt's
/// reason as a warning. Its VMs join the inventory once it connects. Value: the host's <see cref="HostConnectionInfo"/>.
/// </summary>
public sealed class AddHostCommand(CommandServices s) : HostCommand<AddHostRequest>(s)
{
    public override string Operation => Audit.AuditOperations.AddHost;

    protected override string SubjectOf(AddHostRequest request) => $"'{request.Name?.Trim()}' ({request.Uri?.Trim()})";

    protected override async Task<Refusal?> PrepareAsync(HostRun<AddHostRequest> run, CancellationToken ct)
    {
        var (name, uri) = (run.Request.Name?.Trim() ?? "", run.Request.Uri?.Trim() ?? "");
        run.Subject = SubjectOf(run.Request);
        if ((HostRules.NameIsValid(name) ?? HostRules.UriIsValid(uri)) is { } bad) return bad;
        var existing = await run.Db.Hosts.AsNoTracking().ToListAsync(ct);
        if (existing.FirstOrDefault(h => string.Equals(h.Name, name, StringComparison.OrdinalIgnoreCase)) is { } named)
            return new Refusal($"A host named '{named.Name}' already exists.");
        if (existing.FirstOrDefault(h => h.Uri == uri) is { } same)
            return new Refusal($"Host '{same.Name}' already has the URI {uri}.");
        var clusterId = run.Request.ClusterId ?? existing.FirstOrDefault(h => h.Uri == S.Hosts.PrimaryUri)?.ClusterId;
        var cluster = clusterId is { } id
            ? await run.Db.Clusters.FirstOrDefaultAsync(c => c.Id == id, ct)
            : await run.Db.Clusters.OrderBy(c => c.Name).FirstOrDefaultAsync(ct);
        return cluster is null ? Refusal.Missing($"There is no cluster with id {run.Request.ClusterId}.") : null;
    }

    protected override async Task<object?> ExecuteCoreAsync(HostRun<AddHostRequest> run, CancellationToken ct)
    {
        var (name, uri) = (run.Request.Name!.Trim(), run.Request.Uri!.Trim());
        var clusterId = run.Request.ClusterId ?? (await run.Db.Hosts.AsNoTracking().FirstOrDefaultAsync(h => h.Uri == S.Hosts.PrimaryUri, ct))?.ClusterId;
        var cluster = clusterId is { } id
            ? await run.Db.Clusters.FirstAsync(c => c.Id == id, ct)
            : await run.Db.Clusters.OrderBy(c => c.Name).FirstAsync(ct);
        var host = new Host { Name = name, Uri = uri, ClusterId = cluster.Id };
        run.Db.Hosts.Add(host);
        run.Commit();
        run.NotifyAfterSave(new HostsChanged(host.Id));
        await run.SaveAsync("recorded", ct);

        // A host is a row and a connection: once the row is saved the portal manages it, connected now or later.
        var state = await S.Hosts.AddAsync(host);
        run.AuditMessage = $"Host {name} ({uri}) was added to cluster {cluster.Name}" + (state.State == HostState.Connected ? " and is connected." : ".");
        if (state.State != HostState.Connected)
            run.Warnings.Add($"{state.NotConnectedReason}. The portal keeps trying; its VMs appear once it connects.");
        return state;
    }
}
