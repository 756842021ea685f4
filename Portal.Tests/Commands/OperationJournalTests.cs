using Microsoft.EntityFrameworkCore;
using Portal.Core.Audit;
using Portal.Core.Commands;
using Portal.Core.Hypervisor;
using Portal.Core.Snapshots;
using Portal.Core.Vms;
using Portal.Tests.Support;

namespace Portal.Tests.Commands;

/// <summary>
/// The command template's journal: undo steps that fail do not stop the others, every failure is named in the audit,
/// what could not be undone stays journaled and is finished by recovery; cleanups after a commit never undo it.
/// </summary>
public sealed class OperationJournalTests() : PortalTest(injectFaults: true)
{
    [Fact]
    public async Task Undo_TwoStepsFail_TheOthersStillRunAndTheAuditNamesEveryFailure()
    {
        var web = await Portal.VmIdAsync("web-frontend");
        var activeBefore = await Portal.ActiveAsync(web);
        Portal.Faults.FailOn(nameof(IHypervisor.CreateSnapshotAsync), vmId: web);
        // Two undo steps fail: looking for the host's snapshot record, and deleting the dump's volume.
        Portal.Faults.FailOn(nameof(IHypervisor.ListSnapshotNamesAsync), 1, web);
        Portal.Faults.FailOn(nameof(IHypervisor.DeleteVolumeAsync), 1);

        var result = await Portal.Command<CreateSnapshotCommand>().ExecuteAsync(new CreateSnapshotRequest(web, "s1"), PortalFixture.Alice, Ct);

        Assert.Equal(ResultKind.Failed, result.Kind);
        // The steps before and after the failed one ran: no snapshot row, the Active back on its parent, the VM Up.
        var active = Assert.Single((await Portal.LoadVmAsync(web)).Snapshots);
        Assert.Equal((activeBefore.Id, activeBefore.ParentId), (active.Id, active.ParentId));
        Assert.Equal(VmStatus.Up, Portal.Monitor.StatusOf(web));
        var audit = (await Portal.AuditAsync(web)).Last();
        Assert.Equal(AuditOutcome.Failure, audit.Outcome);
        Assert.Contains("injected fault in CreateSnapshotAsync", audit.Message);
        Assert.Contains("Undoing it also failed: delete the host's record of snapshot", audit.Message);
        Assert.Contains("injected fault in ListSnapshotNamesAsync", audit.Message);
        Assert.Contains("; delete memory volume", audit.Message);
        Assert.Contains("injected fault in DeleteVolumeAsync", audit.Message);
        // What could not be undone is journaled, and the VM says so until it is.
        await using (var db = await Portal.DbAsync())
        {
            var row = Assert.Single(await db.OperationJournal.ToListAsync(Ct));
            Assert.Equal(("Create snapshot", "undo-pending", false), (row.Kind, row.Step, row.Committed));
            Assert.Equal([typeof(DeleteHypervisorSnapshotStep), typeof(DiscardMemoryVolumeStep)],
                JournalJson.Read(row.UndoJson).Select(x => x.GetType()).OrderBy(t => t.Name));
        }
        var row2 = (await Portal.Queries.VmAsync(web, Ct))!;
        Assert.Equal("An interrupted operation on this VM is still being finished or undone; try again in a moment.",
            Portal.Get<RunVmCommand>().WhyRefused(row2.Facts)?.Reason ?? Portal.Get<CreateSnapshotCommand>().WhyRefused(row2.Facts)?.Reason);

        // The next recovery pass finishes the undo and audits it.
        Assert.Equal(1, await Portal.Get<OperationRecovery>().RecoverAsync(Ct));
        var recovered = (await Portal.AuditAsync(web)).Last();
        Assert.Equal(AuditOutcome.Warning, recovered.Outcome);
        Assert.Contains("was recovered after restart: it had not finished, so it was undone.", recovered.Message);
        await Portal.AssertNothingHalfDoneAsync(web);
    }

    [Fact]
    public async Task Commit_CleanupOnTheHostFails_TheCommitStandsWithAWarningAndRecoveryFinishesTheCleanup()
    {
        var (web, s1) = await Portal.WebFrontendStoppedWithMemorySnapshotAsync();
        var s2 = await Portal.CreateSnapshotAsync(web, "s2", saveMemory: false);
        Assert.True((await Portal.PreviewAsync(web, s1)).Succeeded);
        // Removing the newer snapshot's record on the host comes after the commit: it fails.
        Portal.Faults.FailOn(nameof(IHypervisor.DeleteSnapshotAsync), vmId: web);

        var result = await Portal.CommitAsync(web);

        Assert.True(result.Succeeded);
        Assert.Contains(result.WarningList, w => w.StartsWith("A cleanup after the operation did not finish yet and will be retried: delete the host's record of snapshot"));
        Assert.Null(await Portal.SnapshotAsync(s2));
        Assert.Equal(SnapshotStatus.Ok, (await Portal.SnapshotAsync(s1))!.Status);
        await using (var db = await Portal.DbAsync())
            Assert.True(Assert.Single(await db.OperationJournal.ToListAsync(Ct)).Committed);
        // A committed row never blocks the VM: only cleanups are left.
        Assert.Null(Portal.Get<RunVmCommand>().WhyRefused((await Portal.Queries.VmAsync(web, Ct))!.Facts));

        Assert.Equal(1, await Portal.Get<OperationRecovery>().RecoverAsync(Ct));
        Assert.DoesNotContain(s2.ToString(), await Portal.Hypervisor.ListSnapshotNamesAsync(web, Ct));
        await Portal.AssertNothingHalfDoneAsync(web);
    }

    [Fact]
    public async Task Run_InterruptedAfterTheVmCameUpFromMemory_RecoveryClearsTheMemorySoItIsNeverRestoredTwice()
    {
        var (web, s1) = await Portal.WebFrontendStoppedWithMemorySnapshotAsync();
        Assert.True((await Portal.PreviewAsync(web, s1)).Succeeded);
        var memory = (await Portal.ActiveAsync(web)).MemoryVolumeId!.Value;
        // The portal stopped after the host restored the VM and before it cleared the memory: the journal says "restoring".
        await using (var db = await Portal.DbAsync())
        {
            var active = await Portal.ActiveAsync(web);
            db.OperationJournal.Add(new OperationRecord
            {
                Kind = "Run VM", VmId = web, VmName = "web-frontend", User = "alice", Step = "restoring", StartedAt = DateTime.UtcNow, UpdatedAt = DateTime.UtcNow,
                RequestJson = JournalJson.WriteValue(new RunVmRequest(web)),
                StateJson = $$"""{"ActiveId":"{{active.Id}}","MemoryVolumeId":"{{memory}}"}""",
                UndoJson = JournalJson.Write([new DestroyDomainStep(web)]),
            });
            await db.SaveChangesAsync(Ct);
        }
        await Portal.Hypervisor.RestoreFromMemoryAsync(web, new MemoryRestoreRequest((await Portal.MemoryVolumesAsync()).Single(m => m.Id == memory).DumpPath, (await Portal.ActiveAsync(web)).ConfigurationXml), Ct);

        Assert.Equal(1, await Portal.Get<OperationRecovery>().RecoverAsync(Ct));

        Assert.Null((await Portal.ActiveAsync(web)).MemoryVolumeId);
        Assert.Equal(DomainRunState.Running, await Portal.DomainStateAsync(web)); // resumed, as the run would have
        Assert.Contains("the host had done it, so it was completed", (await Portal.AuditAsync(web)).Last().Message);
        await Portal.AssertNothingHalfDoneAsync(web);
    }

    [Fact]
    public async Task Run_InterruptedBeforeTheHostStartedIt_RecoveryKeepsTheMemoryForTheNextRun()
    {
        var (web, s1) = await Portal.WebFrontendStoppedWithMemorySnapshotAsync();
        Assert.True((await Portal.PreviewAsync(web, s1)).Succeeded);
        var memory = (await Portal.ActiveAsync(web)).MemoryVolumeId!.Value;
        await using (var db = await Portal.DbAsync())
        {
            db.OperationJournal.Add(new OperationRecord
            {
                Kind = "Run VM", VmId = web, VmName = "web-frontend", User = "alice", Step = "restoring", StartedAt = DateTime.UtcNow, UpdatedAt = DateTime.UtcNow,
                RequestJson = JournalJson.WriteValue(new RunVmRequest(web)), UndoJson = JournalJson.Write([new DestroyDomainStep(web)]),
            });
            await db.SaveChangesAsync(Ct);
        }

        Assert.Equal(1, await Portal.Get<OperationRecovery>().RecoverAsync(Ct));

        Assert.Equal(memory, (await Portal.ActiveAsync(web)).MemoryVolumeId);
        Assert.True((await Portal.RunAsync(web)).Succeeded);
        Assert.Null((await Portal.ActiveAsync(web)).MemoryVolumeId);
        await Portal.AssertNothingHalfDoneAsync(web);
    }

    [Fact]
    public async Task Restore_DefiningFailsOnTheHost_NothingChangesAndTheVmIsNotLeftInPreview()
    {
        var (web, s1) = await Portal.WebFrontendStoppedWithMemorySnapshotAsync();
        var before = (await Portal.LoadVmAsync(web)).Snapshots.Select(s => (s.Id, s.Type, s.Status)).OrderBy(s => s.Id).ToList();
        Portal.Faults.FailOn(nameof(IHypervisor.DefineDomainAsync));

        var result = await Portal.Command<RestoreSnapshotCommand>().ExecuteAsync(new RestoreSnapshotRequest(web, s1), PortalFixture.Alice, Ct);

        Assert.Equal(ResultKind.Failed, result.Kind);
        Assert.Equal(before, (await Portal.LoadVmAsync(web)).Snapshots.Select(s => (s.Id, s.Type, s.Status)).OrderBy(s => s.Id).ToList());
        await Portal.AssertNothingHalfDoneAsync(web);
    }

    [Fact]
    public async Task Restore_SnapshotWithMemory_OneStepToACommittedStateWhoseNextRunRestoresIt()
    {
        var (web, s1) = await Portal.WebFrontendStoppedWithMemorySnapshotAsync();
        var s2 = await Portal.CreateSnapshotAsync(web, "s2", saveMemory: false);

        var result = await Portal.Command<RestoreSnapshotCommand>().ExecuteAsync(new RestoreSnapshotRequest(web, s1), PortalFixture.Alice, Ct);

        Assert.True(result.Succeeded, result.Message);
        var vm = await Portal.LoadVmAsync(web);
        Assert.DoesNotContain(vm.Snapshots, s => s.Status == SnapshotStatus.InPreview || s.Type == SnapshotType.Preview || s.Id == s2);
        Assert.Equal((await Portal.SnapshotAsync(s1))!.MemoryVolumeId, (await Portal.ActiveAsync(web)).MemoryVolumeId);
        var before = await Portal.LastTransitionIdAsync(web);
        Assert.True((await Portal.RunAsync(web)).Succeeded);
        Assert.Equal([VmStatus.RestoringState, VmStatus.Up], await Portal.StatusesSinceAsync(web, before));
    }

    [Fact]
    public async Task Restart_EmbeddedHost_KeepsItsDomainsSnapshotsAndVolumes()
    {
        var (web, s1) = await Portal.WebFrontendStoppedWithMemorySnapshotAsync();
        var clone = (await Portal.Command<CloneVmFromSnapshotCommand>().ExecuteAsync(new CloneVmFromSnapshotRequest(web, s1, "web-copy"), PortalFixture.Alice, Ct)).ValueAs<Guid>();
        var mv = Assert.Single(await Portal.MemoryVolumesAsync());
        var data = Portal.DataDirectory;
        await Portal.StopKeepingDataAsync();

        await using var restarted = await PortalFixture.StartAsync(dataDirectory: data);

        Assert.Contains(s1.ToString(), await restarted.Hypervisor.ListSnapshotNamesAsync(web, Ct));
        Assert.NotNull(await restarted.Hypervisor.FindDomainAsync(clone, Ct));
        Assert.False((await restarted.LoadVmAsync(clone)).IsMissingOnHost);
        Assert.Equal((true, true), await restarted.VolumesExistAsync(mv));
        Assert.Equal(VmStatus.Down, restarted.Monitor.StatusOf(web));
        Assert.Equal(VmStatus.Up, restarted.Monitor.StatusOf(await restarted.VmIdAsync("db-primary")));
        // And it still works as a host: the memory comes back on the next run.
        Assert.True((await restarted.PreviewAsync(web, s1)).Succeeded);
        var before = await restarted.LastTransitionIdAsync(web);
        Assert.True((await restarted.RunAsync(web)).Succeeded);
        Assert.Equal([VmStatus.RestoringState, VmStatus.Up], await restarted.StatusesSinceAsync(web, before));
    }

    [Fact]
    public async Task Restart_MemoryVolumeGoneFromTheHost_MarkedMissingShownAndTheSnapshotCanBeRemoved()
    {
        var (web, s1) = await Portal.WebFrontendStoppedWithMemorySnapshotAsync();
        Assert.True((await Portal.PreviewAsync(web, s1)).Succeeded);
        var mv = Assert.Single(await Portal.MemoryVolumesAsync());
        await Portal.Hypervisor.DeleteVolumeAsync(mv.StorageDomain!.PoolName, mv.DumpVolumeName, Ct); // lost outside the portal
        var data = Portal.DataDirectory;
        await Portal.StopKeepingDataAsync();

        await using var restarted = await PortalFixture.StartAsync(dataDirectory: data);

        Assert.True(Assert.Single(await restarted.MemoryVolumesAsync()).IsMissingOnHost);
        var row = (await restarted.Queries.SnapshotsAsync(web, Ct)).Single(s => s.Id == s1);
        Assert.True(row.MemoryMissing);
        var run = await restarted.Command<RunVmCommand>().ExecuteAsync(new RunVmRequest(web), PortalFixture.Alice, Ct);
        Assert.Equal(ResultKind.Conflict, run.Kind);
        Assert.StartsWith("The memory this VM would be restored from is missing on the host.", run.Message);
        Assert.True((await restarted.UndoAsync(web)).Succeeded);
        Assert.True((await restarted.RemoveAsync(web, s1)).Succeeded);
        Assert.Empty(await restarted.MemoryVolumesAsync());
        await restarted.AssertNothingHalfDoneAsync(web);
    }
    [Fact]
    public async Task Recovery_PassesWhileOperationsRunAndEnd_LeaveThoseOperationsAlone()
    {
        // A host that connects starts a recovery pass at any moment: one that read the journal while an operation ran,
        // and reached its row after the operation ended, once "recovered" (and could undo) a finished operation.
        var web = await Portal.VmIdAsync("web-frontend");
        var recovery = Portal.Get<OperationRecovery>();
        using var stop = new CancellationTokenSource();
        var passes = 0;
        var passing = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested) { await recovery.RecoverAsync(Ct); passes++; }
        }, Ct);

        var snapshots = new List<Guid>();
        for (var i = 0; i < 20; i++) snapshots.Add(await Portal.CreateSnapshotAsync(web, $"s{i}", saveMemory: false));
        await stop.CancelAsync();
        await passing;

        Assert.True(passes > 20, $"only {passes} recovery passes ran beside the operations");
        Assert.DoesNotContain(await Portal.AuditAsync(web), a => a.Message.Contains("recovered after restart"));
        foreach (var id in snapshots) Assert.Equal(SnapshotStatus.Ok, (await Portal.SnapshotAsync(id))?.Status);
        await Portal.AssertNothingHalfDoneAsync(web);
    }
}
