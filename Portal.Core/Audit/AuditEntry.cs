namespace Portal.Core.Audit;

public enum AuditOutcome { Success, Failure, Warning }

public class AuditEntry
{
    public long Id { get; set; }
    public DateTime At { get; set; }
    public required string User { get; set; }
    public Guid? VmId { get; set; }
    public string? VmName { get; set; }
    public required string Operation { get; set; }
    public AuditOutcome Outcome { get; set; }
    public required string Message { get; set; }
}
