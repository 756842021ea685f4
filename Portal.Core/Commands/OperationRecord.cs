namespace Portal.Core.Commands;

/// <summary>
/// The durable journal of one operation that has not finished, after oVirt's compensation table: written in the same
/// transaction as the operation's first database change, updated as its steps complete, and removed in the same
/// transaction as its last. A row found at start (or when a host connects again) belongs to an operation that was
/// interrupted: <see cref="OperationRecovery"/> finishes it where the host already did the work, and undoes it otherwise.
/// </summary>
public class OperationRecord
{
    public Guid Id { get; set; } = Guid.NewGuid();

    /// <summary>The command's <c>Operation</c> name ("Create snapshot"), which finds the command that recovers it.</summary>
    public required string Kind { get; set; }

    /// <summary>The VM the operation is about (null for storage and host operations).</summary>
    public Guid? VmId { get; set; }
    public string? VmName { get; set; }

    /// <summary>The host the operation works on; recovery waits until that host is connected.</summary>
    public Guid? HostId { get; set; }

    public required string User { get; set; }
    public DateTime StartedAt { get; set; }
    public DateTime UpdatedAt { get; set; }

    /// <summary>The last step that completed.</summary>
    public required string Step { get; set; }

    /// <summary>
    /// Set once the operation has passed its point of no return: from then on it is finished, never undone
    /// (<see cref="ForwardJson"/> says what is left to do).
    /// </summary>
    public bool Committed { get; set; }

    /// <summary>The request, as JSON, and the command's own state needed to finish or undo it.</summary>
    public string RequestJson { get; set; } = "{}";
    public string StateJson { get; set; } = "{}";

    /// <summary>How to undo every change made so far, newest last (<see cref="CompensationStep"/>s as JSON).</summary>
    public string UndoJson { get; set; } = "[]";

    /// <summary>What is left to do after the commit (cleanups on the host), as JSON.</summary>
    public string ForwardJson { get; set; } = "[]";

    /// <summary>Undo steps that failed while compensating in-process (the host did not answer): retried by recovery.</summary>
    public string? Failures { get; set; }
}
