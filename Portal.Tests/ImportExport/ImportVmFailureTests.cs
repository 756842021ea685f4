using Microsoft.EntityFrameworkCore;
using Portal.Core.Audit;
using Portal.Core.Commands;
using Portal.Core.Hosts;
using Portal.Core.Hypervisor;
using Portal.Core.ImportExport;
using Portal.Core.Snapshots;
using Portal.Core.Vms;
using Portal.Tests.Support;

namespace Portal.Tests.ImportExport;

public sealed class ImportVmFailureTests() : PortalTest(injectFaults: true)
{
    private async Task<(Guid Export, Guid Data)> DomainsAsync()
    {
        await using var db = await Portal.DbAsync();
        var export = await db.StorageDomains.SingleAsync(d => d.PoolName == DemoNode.ExportPool, Ct);
        var data = await db.StorageDomains.SingleAsync(d => d.PoolName == DemoNode.DataPool, Ct);
        return (export.Id, data.Id);
    }

    /// <summary>web-frontend with a memory snapshot previewed and committed (the Active holds the memory), exported, then removed.</summary>
    private async Task<(Guid Vm, Guid Export, Guid Data)> ExportedAndRemovedAsync()
    {
        var (web, s1) = await Portal.WebFrontendStoppedWithMemorySnapshotAsync();
        await PortalFixture.Succeeds(Portal.PreviewAsync(web, s1));
        await PortalFixture.Succeeds(Portal.CommitAsync(web));
        var (export, data) = await DomainsAsync();
        await PortalFixture.Succeeds(Portal.Command<ExportVmCommand>().ExecuteAsync(new ExportVmRequest(web, export), PortalFixture.Alice, Ct));
        await PortalFixture.Succeeds(Portal.Command<RemoveVmCommand>().ExecuteAsync(new RemoveVmRequest(web), PortalFixture.Alice, Ct));
        return (web, export, data);
    }

    private Task<CommandResult> Import(Guid vm, Guid export, Guid data, bool asClone = false, bool collapse = false) =>
        Portal.Command<ImportVmCommand>().ExecuteAsync(new ImportVmRequest(export, vm, data, asClone, collapse), PortalFixture.Alice, Ct);

    [Fact]
    public async Task Import_AfterExportAndRemove_BringsBackSnapshotsWithMemoryAndTheRunRestores()
    {
        var (web, export, data) = await ExportedAndRemovedAsync();

        await PortalFixture.Succeeds(Import(web, export, data));

        var vm = await Portal.LoadVmAsync(web);
        Assert.Equal(2, vm.Snapshots.Count);
        Assert.All(vm.Snapshots, s => Assert.NotNull(s.MemoryVolumeId));
        var before = await Portal.LastTransitionIdAsync(web);
        await PortalFixture.Succeeds(Portal.RunAsync(web));
        Assert.Equal([VmStatus.RestoringState, VmStatus.Up], await Portal.StatusesSinceAsync(web, before));
    }

    [Fact]
    public async Task Import_CopyFailsHalfway_NoHalfVmNoOrphanVolumesAndTheAuditSaysWhy()
    {
        var (web, export, data) = await ExportedAndRemovedAsync();
        // The dump copies, then the target runs out of room for the configuration volume.
        Portal.Faults.FailOn(nameof(IHypervisor.CopyVolumeAsync), 2);

        var result = await Import(web, export, data);

        Assert.Equal(ResultKind.Failed, result.Kind);
        Assert.Contains("injected fault in CopyVolumeAsync", result.Message);
        await using var db = await Portal.DbAsync();
        Assert.False(await db.Vms.AnyAsync(v => v.Id == web, Ct));
        Assert.Empty(await db.MemoryVolumes.ToListAsync(Ct));
        Assert.Null(await Portal.Hypervisor.FindDomainAsync(web, Ct));
        foreach (var (pool, name) in Portal.Faults.CreatedVolumes.Where(v => v.Pool == DemoNode.DataPool))
            Assert.False(await Portal.VolumeExistsAsync(pool, name), $"volume {name} was left in {pool}");
        var audit = await db.AuditEntries.OrderBy(a => a.Id).LastAsync(Ct);
        Assert.Equal((AuditOutcome.Failure, "Import VM"), (audit.Outcome, audit.Operation));
        Assert.Contains("injected fault in CopyVolumeAsync", audit.Message);

        await PortalFixture.Succeeds(Import(web, export, data));
    }

    [Fact]
    public async Task Import_VmIdAlreadyExists_RefusedWithTheCloneSuggestion()
    {
        var (web, s1) = await Portal.WebFrontendStoppedWithMemorySnapshotAsync();
        var (export, data) = await DomainsAsync();
        await PortalFixture.Succeeds(Portal.Command<ExportVmCommand>().ExecuteAsync(new ExportVmRequest(web, export), PortalFixture.Alice, Ct));

        var result = await Import(web, export, data);

        Assert.Equal(ResultKind.Conflict, result.Kind);
        Assert.Contains("Import it as a clone", result.Message);
    }

    [Fact]
    public async Task Import_AsClone_OnlyActiveWithoutMemoryAndAWarning()
    {
        var (web, export, data) = await ExportedAndRemovedAsync();

        var result = await PortalFixture.Succeeds(Import(web, export, data, asClone: true));

        Assert.Contains(ImportVmCommand.CloneMemoryWarning, result.WarningList);
        var clone = await Portal.LoadVmAsync(result.ValueAs<Guid>());
        Assert.NotEqual(web, clone.Id);
        var only = Assert.Single(clone.Snapshots);
        Assert.Equal(SnapshotType.Active, only.Type);
        Assert.Null(only.MemoryVolumeId);
    }

    [Fact]
    public async Task Import_Helpdesk_IsForbidden()
    {
        var (web, export, data) = await ExportedAndRemovedAsync();
        var result = await Portal.Command<ImportVmCommand>().ExecuteAsync(new ImportVmRequest(export, web, data), PortalFixture.Bob, Ct);
        Assert.Equal(ResultKind.Forbidden, result.Kind);
    }
}
