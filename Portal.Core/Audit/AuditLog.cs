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
        var entry = new AuditEntry
        {
            At = clock.GetUtcNow().UtcDateTime, User = user, VmId = vmId, VmName = vmName,
            Operation = operation, Outcome = outcome,
            // The column holds 4,000 characters (PostgreSQL enforces it; a message quoting a 4,000-character
            // description is longer): the whole message still goes to the log below.
            Message = message.Length <= MaxMessageLength ? message : message[..(MaxMessageLength - 1)] + "…",
        };
        await using var db = await dbFactory.CreateDbContextAsync();
        db.AuditEntries.Add(entry);
        await db.SaveChangesAsync();
        LogAudit(log, operation, outcome, message);
        notifier.Publish(new AuditAdded(entry));
        return entry;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Audit {Operation} {Outcome}: {Message}")]
    private static partial void LogAudit(ILogger log, string operation, AuditOutcome outcome, string message);
}
