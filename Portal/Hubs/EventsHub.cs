using Microsoft.AspNetCore.SignalR;

namespace Portal.Hubs;

/// <summary>
/// <c>/hubs/events</c>: pushes what changes to outside clients (cookie, Basic or bearer authentication; Admin or
/// Helpdesk). Clients only listen; the messages are <see cref="EventsHubMessages"/>. The contract is in docs/API.md.
/// </summary>
public sealed class EventsHub : Hub;

/// <summary>The method names clients subscribe to with <c>connection.On(name, …)</c>.</summary>
public static class EventsHubMessages
{
    public const string VmStatusChanged = "VmStatusChanged";
    public const string SnapshotChanged = "SnapshotChanged";
    public const string AuditAdded = "AuditAdded";
}

/// <param name="From">oVirt's status spelling: down, powering_up, up, restoring_state…</param>
public sealed record VmStatusMessage(Guid VmId, string VmName, string From, string To, DateTime At, string? Reason);

/// <param name="Change">created, locked, ok, removed, memory_cleared, in_preview, committed or undone.</param>
public sealed record SnapshotMessage(Guid VmId, Guid SnapshotId, string Change);

/// <param name="Severity">normal (success), warning or error (failure), as the REST events.</param>
public sealed record AuditMessage(long Index, DateTime Time, string User, Guid? VmId, string? VmName, string Operation, string Severity, string Description);
