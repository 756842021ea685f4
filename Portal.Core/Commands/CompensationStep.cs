using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using Portal.Core.Persistence;

namespace Portal.Core.Commands;

/// <summary>
/// One step that undoes a change (or, after the commit, finishes the operation on the host). Steps are plain records
/// kept in the operation's journal row, so the same code undoes a failure in-process and an operation interrupted by a
/// crash, at the next start. Every step is idempotent: it may run for a change that never happened (it was journaled
/// before the host call that the crash interrupted), or twice.
/// </summary>
public abstract record CompensationStep
{
    /// <summary>What the step does, for the audit entry when it fails ("delete volume X from pool Y").</summary>
    public abstract string Describe();

    public abstract Task RunAsync(StepContext c, CancellationToken ct);
}

/// <summary>What a step may use: the shared services and a database context of its own (changes are saved by the caller).</summary>
public sealed class StepContext(CommandServices services, PortalDbContext db)
{
    public CommandServices S => services;
    public PortalDbContext Db => db;

    /// <summary>Memory volumes a step released: deleted by the caller once the step's database changes are saved.</summary>
    public List<Guid> ReleasedMemory { get; } = [];
}

/// <summary>The journal's JSON: every <see cref="CompensationStep"/> of this assembly, by its type name.</summary>
public static class JournalJson
{
    public static readonly JsonSerializerOptions Options = new()
    {
        TypeInfoResolver = new DefaultJsonTypeInfoResolver { Modifiers = { AddSteps } },
    };

    private static readonly Type[] StepTypes = typeof(CompensationStep).Assembly.GetTypes()
        .Where(t => t.IsSubclassOf(typeof(CompensationStep)) && !t.IsAbstract).OrderBy(t => t.Name, StringComparer.Ordinal).ToArray();

    private static void AddSteps(JsonTypeInfo info)
    {
        if (info.Type != typeof(CompensationStep)) return;
        info.PolymorphismOptions = new JsonPolymorphismOptions
        {
            TypeDiscriminatorPropertyName = "$step",
            UnknownDerivedTypeHandling = JsonUnknownDerivedTypeHandling.FailSerialization,
        };
        foreach (var t in StepTypes) info.PolymorphismOptions.DerivedTypes.Add(new JsonDerivedType(t, t.Name));
    }

    public static string Write(IEnumerable<CompensationStep> steps) => JsonSerializer.Serialize(steps.ToList(), Options);

    public static List<CompensationStep> Read(string? json) =>
        string.IsNullOrWhiteSpace(json) ? [] : JsonSerializer.Deserialize<List<CompensationStep>>(json, Options) ?? [];

    public static string WriteValue<T>(T value) => JsonSerializer.Serialize(value, Options);

    public static T? ReadValue<T>(string? json) => string.IsNullOrWhiteSpace(json) ? default : JsonSerializer.Deserialize<T>(json, Options);
}
