using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Portal.Core.Persistence;
using Portal.Core.Vms;

namespace Portal.Core.Audit;

/// <summary>Writes audit entries in their own context, so a failed operation's rollback never loses them.</summary>
public sealed partial class AuditLog(IDbContextFactory<PortalDbContext> dbFactory, PortalNotifier notifier, TimeProvider clock, ILogger<AuditLog> log)
{
    /// <summary>The audit message column's length (AuditEntryConfiguration).</summary>
    public const int MaxMessageLength = 4000;

    public async Task<AuditEntry> WriteAsync(string user, Guid? vmId, string? vmName, string operation, AuditOutcome outcome, string message)
    {
        var entry = Entry(user, vmId, vmName, operation, outcome, message);
        await using var db = await dbFactory.CreateDbContextAsync();
        db.AuditEntries.Add(entry);
        await db.SaveChangesAsync();
        Written(entry, message);
        return entry;
    }

    /// <summary>
    /// Adds an entry to an operation's context, to be written with the operation's next commit instead of in a commit of
    /// its own; call <see cref="Published"/> once that commit succeeded. For an entry that belongs with a change the
    /// operation is saving ("creation was initiated", with the Locked snapshot): a failed save loses both.
    /// </summary>
    public AuditEntry Stage(PortalDbContext db, string user, Guid? vmId, string? vmName, string operation, AuditOutcome outcome, string message)
    {
        var entry = Entry(user, vmId, vmName, operation, outcome, message);
        db.AuditEntries.Add(entry);
        return entry;
    }

    /// <summary>A staged entry has been committed: logged and published.</summary>
    public void Published(AuditEntry entry) => Written(entry, entry.Message);

    private AuditEntry Entry(string user, Guid? vmId, string? vmName, string operation, AuditOutcome outcome, string message) => new()
    {
        At = clock.GetUtcNow().UtcDateTime, User = user, VmId = vmId, VmName = vmName,
        Operation = operation, Outcome = outcome,
        // The column holds 4,000 characters (PostgreSQL enforces it; a message quoting a 4,000-character
        // description is longer): the whole message still goes to the log below.
        Message = message.Length <= MaxMessageLength ? message : message[..(MaxMessageLength - 1)] + "…",
    };

    private void Written(AuditEntry entry, string message)
    {
        LogAudit(log, entry.Operation, entry.Outcome, message);
        notifier.Publish(new AuditAdded(entry));
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Audit {Operation} {Outcome}: {Message}")]
    private static partial void LogAudit(ILogger log, string operation, AuditOutcome outcome, string message);
}
