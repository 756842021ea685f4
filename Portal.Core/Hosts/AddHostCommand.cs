using Microsoft.EntityFrameworkCore;
using Portal.Core.Auth;
using Portal.Core.Commands;
using Portal.Core.Vms;

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
public sealed class AddHostCommand(CommandServices s) : HostCommand(s)
{
    public override string Operation => "Add host";

    public Task<CommandResult> ExecuteAsync(AddHostRequest request, Actor actor, CancellationToken ct = default)
    {
        var name = request.Name?.Trim() ?? "";
        var uri = request.Uri?.Trim() ?? "";
        return RunAsync(actor, $"'{name}' ({uri})", async (db, token) =>
        {
            if ((HostRules.NameIsValid(name) ?? HostRules.UriIsValid(uri)) is { } bad) return Refuse(bad);
            var existing = await db.Hosts.AsNoTracking().ToListAsync(token);
            if (existing.FirstOrDefault(h => string.Equals(h.Name, name, StringComparison.OrdinalIgnoreCase)) is { } named)
                return CommandResult.Conflict($"A host named '{named.Name}' already exists.");
            if (existing.FirstOrDefault(h => h.Uri == uri) is { } same)
                return CommandResult.Conflict($"Host '{same.Name}' already has the URI {uri}.");
            var clusterId = request.ClusterId ?? existing.FirstOrDefault(h => h.Uri == S.Hosts.PrimaryUri)?.ClusterId;
            var cluster = clusterId is { } id
                ? await db.Clusters.FirstOrDefaultAsync(c => c.Id == id, token)
                : await db.Clusters.OrderBy(c => c.Name).FirstOrDefaultAsync(token);
            if (cluster is null) return CommandResult.NotFound($"There is no cluster with id {request.ClusterId}.");

            var host = new Host { Name = name, Uri = uri, ClusterId = cluster.Id };
            db.Hosts.Add(host);
            await db.SaveChangesAsync(token);
            S.Notifier.Publish(new HostsChanged(host.Id));

            var state = await S.Hosts.AddAsync(host);
            if (state.State == HostState.Connected)
                return CommandResult.Ok(state, $"Host {name} ({uri}) was added to cluster {cluster.Name} and is connected.");
            return CommandResult.Ok(state, $"Host {name} ({uri}) was added to cluster {cluster.Name}.",
                [$"{state.NotConnectedReason}. The portal keeps trying; its VMs appear once it connects."]);
        }, ct);
    }
}
