using System.Collections.Concurrent;
using Microsoft.EntityFrameworkCore;
using Portal.Core.Audit;
using Portal.E2E.Infrastructure;

namespace Portal.E2E.Reliability;

/// <summary>
/// The kill-9 drill: every operation, run in a real portal process on the embedded host, is killed (SIGKILL, by the
/// test-only crash hook <c>Portal:CrashAt</c>) at every step its journal records; the portal is started again on the
/// same data, and then every VM must be usable: the invariants of <see cref="DrillPortal.ViolationsAsync"/> hold, and
/// the operation runs again and succeeds. The kill points are learnt from the operation itself (<c>Portal:TraceSteps</c>),
/// so a step added later is drilled without touching this test.
/// </summary>
[Trait("Category", "KillDrill")]
public sealed class KillDrillTests(ITestOutputHelper output)
{
    /// <summary>Every kill point drilled in this run and whether it recovered: the README's figure.</summary>
    private static readonly ConcurrentDictionary<string, bool> Points = new();

    /// <summary>Every case; <c>KILL_DRILL_ONLY="commit;undo"</c> narrows a run to some, while working on them.</summary>
    public static TheoryData<string> Cases() =>
    [
        .. DrillCases.All.Select(c => c.Name)
            .Where(n => Environment.GetEnvironmentVariable("KILL_DRILL_ONLY") is not { Length: > 0 } only || only.Split(';').Contains(n)),
    ];

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Drill_KilledAtEveryJournalStep_EveryVmUsableAndTheOperationRunsAgain(string name)
    {
        var drill = DrillCases.All.Single(c => c.Name == name);
        var (steps, entries) = await StepsAsync(drill);
        Assert.NotEmpty(steps);

        // Kill points are independent (each has its own data folder and portal): drill as many at once as there are cores.
        var failures = new ConcurrentBag<string>();
        await Parallel.ForEachAsync(steps, new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, Environment.ProcessorCount) }, async (step, _) =>
        {
            var problem = await KillAndRecoverAsync(drill, step, entries);
            Points[$"{drill.Name} @ {step}"] = problem is null;
            output.WriteLine($"{drill.Kind}:{step} -> {(problem is null ? "recovered" : "FAILED: " + problem)}");
            if (problem is not null) failures.Add($"{step}: {problem}");
        });
        WriteSummary();
        Assert.True(failures.Count == 0, $"{drill.Name}: {failures.Count} of {steps.Count} kill points did not recover:\n" + string.Join("\n", failures));
    }

    /// <summary>
    /// The journal steps the operation goes through, from a run that is not killed (which must succeed), and how many
    /// audit entries of success that run writes.
    /// </summary>
    private async Task<(IReadOnlyList<string> Steps, int Entries)> StepsAsync(DrillCase drill)
    {
        await using var process = await PortalProcess.StartAsync(Options(null, trace: true));
        var p = new DrillPortal(process);
        await drill.Setup(p);
        var mark = process.OutputMark;
        var before = await CompletedEntriesAsync(p, drill.Kind);
        await drill.Act(p);
        var entries = await CompletedEntriesAsync(p, drill.Kind) - before;
        var prefix = $"JOURNAL-STEP {drill.Kind}:";
        var steps = process.OutputSince(mark).Where(l => l.StartsWith(prefix, StringComparison.Ordinal))
            .Select(l => l[prefix.Length..]).Distinct().ToList();
        Assert.Empty(await p.SettledViolationsAsync(TimeSpan.FromSeconds(20)));
        output.WriteLine($"{drill.Name}: kill points {string.Join(", ", steps)}");
        return (steps, entries);
    }

    /// <summary>
    /// Kills the operation at <paramref name="step"/>, restarts, checks. Returns what went wrong, or null.
    /// <paramref name="entries"/>: how many audit entries of success a run that is not killed writes.
    /// </summary>
    private async Task<string?> KillAndRecoverAsync(DrillCase drill, string step, int entries)
    {
        var data = Directory.CreateTempSubdirectory("portal-drill-").FullName;
        var completedBefore = 0;
        try
        {
            await using (var doomed = await PortalProcess.StartAsync(Options(data, trace: false, crashAt: $"{drill.Kind}:{step}")))
            {
                var p = new DrillPortal(doomed);
                await drill.Setup(p);
                completedBefore = await CompletedEntriesAsync(p, drill.Kind);
                try { await drill.Act(p); }
                catch (InvalidOperationException) { /* the reply never came: the process died */ }
                if (!await doomed.WaitForExitAsync(TimeSpan.FromSeconds(60)))
                    return $"the portal was not killed at {step}: the operation never reached it.\n{doomed.Dump()}";
            }

            await using var restarted = await PortalProcess.StartAsync(Options(data, trace: false));
            var again = new DrillPortal(restarted);
            var violations = await again.SettledViolationsAsync(TimeSpan.FromSeconds(20));
            if (violations.Count > 0) return "after the restart: " + string.Join(" ", violations) + "\n" + restarted.Dump();
            // Killed once its commit was saved, the operation happened: the audit log must say so, as it does when the
            // run is not killed (with the entry written with the commit, or recovery's when cleanups were left).
            if (step == "finished" && await CompletedEntriesAsync(again, drill.Kind) - completedBefore is var n && n < entries)
                return $"killed right after its commit, the operation left {n} of the {entries} audit entries of success a run that is not killed writes.";
            try { await drill.Again(again); }
            catch (Exception ex) when (ex is InvalidOperationException or HttpRequestException)
            {
                return $"the operation did not run again after the restart: {ex.Message}\n{restarted.Dump()}";
            }
            violations = await again.SettledViolationsAsync(TimeSpan.FromSeconds(20));
            return violations.Count == 0 ? null : "after running it again: " + string.Join(" ", violations);
        }
        finally
        {
            try { Directory.Delete(data, recursive: true); }
            catch (IOException) { }
        }
    }

    /// <summary>How many audit entries of an operation of <paramref name="kind"/> say it was initiated or completed.</summary>
    private static async Task<int> CompletedEntriesAsync(DrillPortal p, string kind)
    {
        await using var db = p.Db.Open();
        return await db.AuditEntries.CountAsync(a => a.Operation == kind && (a.Outcome == AuditOutcome.Success || a.Outcome == AuditOutcome.Warning));
    }

    private static PortalProcessOptions Options(string? data, bool trace, string? crashAt = null)
    {
        var o = new PortalProcessOptions { DataDirectory = data };
        if (trace) o.Variables["Portal__TraceSteps"] = "true";
        if (crashAt is not null) o.Variables["Portal__CrashAt"] = crashAt;
        // The orphan collector and recovery passes run at start anyway; the drill does not wait a minute for the next.
        o.Variables["Logging__LogLevel__Microsoft.EntityFrameworkCore"] = "Warning";
        return o;
    }

    /// <summary>"N of N kill points recovered", for scripts/test-all.sh to print and the README to quote.</summary>
    private static void WriteSummary()
    {
        var path = Path.Combine(AppContext.BaseDirectory, "TestResults", "kill-drill.txt");
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var points = Points.ToArray();
        File.WriteAllLines(path, [$"{points.Count(p => p.Value)} of {points.Length} kill points recovered",
            .. points.OrderBy(p => p.Key).Select(p => $"{(p.Value ? "ok  " : "FAIL")} {p.Key}")]);
    }
}
