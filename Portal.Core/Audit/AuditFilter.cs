namespace Portal.Core.Audit;

/// <summary>
/// What the audit log shows: entries of one outcome, by one user, about one VM (by name, so that entries about a VM
/// removed since still match), of one operation (<see cref="AuditOperations"/>). Each part is exact, as libvirt's VM names and the portal's user names are, and each has
/// an index with the entry's id, so the newest page of a match is one index range whatever the log's size.
/// </summary>
/// <param name="Before">Only entries written before this time (UTC): where the log is read from, going back.</param>
public sealed record AuditFilter(AuditOutcome? Outcome = null, string? User = null, string? VmName = null, string? Operation = null, DateTime? Before = null)
{
    public static readonly AuditFilter None = new();

    /// <summary>The filter with blank parts left out and the others trimmed.</summary>
    public static AuditFilter From(AuditOutcome? outcome, string? user, string? vmName, string? operation = null, DateTime? before = null) =>
        new(outcome, Clean(user), Clean(vmName), Clean(operation), before is { } b ? DateTime.SpecifyKind(b, DateTimeKind.Utc) : null);

    public bool IsEmpty => Outcome is null && User is null && VmName is null && Operation is null && Before is null;

    /// <summary>Whether an entry written now belongs on a page showing this filter (the same test the query makes).</summary>
    public bool Matches(AuditEntry entry) =>
        (Outcome is null || entry.Outcome == Outcome) && (User is null || entry.User == User) && (VmName is null || entry.VmName == VmName)
        && (Operation is null || entry.Operation == Operation) && (Before is null || entry.At < Before);

    internal IQueryable<AuditEntry> ApplyTo(IQueryable<AuditEntry> q)
    {
        if (Outcome is { } outcome) q = q.Where(a => a.Outcome == outcome);
        if (User is { } user) q = q.Where(a => a.User == user);
        if (VmName is { } vm) q = q.Where(a => a.VmName == vm);
        if (Operation is { } operation) q = q.Where(a => a.Operation == operation);
        if (Before is { } before) q = q.Where(a => a.At < before);
        return q;
    }

    private static string? Clean(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();
}
