namespace Portal.Core.Commands;

public enum ResultKind { Ok, Invalid, NotFound, Conflict, Forbidden, Failed }

/// <summary>What an operation did, or the reason a user can read for why it did not.</summary>
public sealed record CommandResult(ResultKind Kind, string? Message = null, object? Value = null, IReadOnlyList<string>? Warnings = null)
{
    public bool Succeeded => Kind == ResultKind.Ok;
    public IReadOnlyList<string> WarningList => Warnings ?? [];

    public static CommandResult Ok(object? value = null, string? message = null, IReadOnlyList<string>? warnings = null) => new(ResultKind.Ok, message, value, warnings);
    public static CommandResult Invalid(string reason) => new(ResultKind.Invalid, reason);
    public static CommandResult NotFound(string reason) => new(ResultKind.NotFound, reason);
    public static CommandResult Conflict(string reason) => new(ResultKind.Conflict, reason);
    public static CommandResult Forbidden(string reason) => new(ResultKind.Forbidden, reason);
    public static CommandResult Failed(string reason) => new(ResultKind.Failed, reason);

    public T ValueAs<T>() => (T)Value!;
}

/// <summary>A refusal from a validator: the reason, and whether it is a state conflict (409) or bad input (400).</summary>
public sealed record Refusal(string Reason, ResultKind Kind = ResultKind.Conflict)
{
    public static Refusal BadInput(string reason) => new(reason, ResultKind.Invalid);
    public static Refusal Missing(string reason) => new(reason, ResultKind.NotFound);

    /// <summary>How a refusal is told, in the audit log and to the user: "Stop VM was refused: ‹reason›".</summary>
    public static string Describe(string operation, string reason) => $"{operation} was refused: {reason}";
}
