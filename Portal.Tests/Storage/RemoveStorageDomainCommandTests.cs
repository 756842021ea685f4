using Microsoft.EntityFrameworkCore;
using Portal.Core.Audit;
using Portal.Core.Commands;
using Portal.Core.Hosts;
using Portal.Core.ImportExport;
using Portal.Core.Snapshots;
using Portal.Core.Storage;
using Portal.Tests.Support;

namespace Portal.Tests.Storage;

public sealed class RemoveStorageDomainCommandTests : PortalTest
{
    private Task<CommandResult> Remove(Guid domain, bool confirmed = false, bool removePool = false, Core.Auth.Actor? actor = null) =>
        Portal.Command<RemoveStorageDomainCommand>().ExecuteAsync(new RemoveStorageDomainRequest(domain, confirmed, removePool), actor ?? PortalFixture.Alice, Ct);

    private async Task<Guid> AddAsync(string name, StorageSource source, string path, StorageRole role = StorageRole.Data) =>
        (Guid)(await PortalFixture.Succeeds(Portal.Command<AddStorageDomainCommand>().ExecuteAsync(
            new AddStorageDomainRequest(name, role, source, Path: path), PortalFixture.Alice, Ct))).Value!;

    private async Task<StorageDomain?> DomainAsync(Guid id)
    {
        await using var db = await Portal.DbAsync();
        return await db.StorageDomains.AsNoTracking().SingleOrDefaultAsync(d => d.Id == id, Ct);
    }

    private async Task<StorageDomain> DomainAsync(string pool)
    {
        await using var db = await Portal.DbAsync();
        return await db.StorageDomains.AsNoTracking().SingleAsync(d => d.PoolName == pool, Ct);
    }

    private async Task<AuditEntry> LastAuditAsync()
    {
        await using var db = await Portal.DbAsync();
        return await db.AuditEntries.AsNoTracking().OrderBy(a => a.Id).LastAsync(Ct);
    }

    private async Task<bool> PoolExistsAsync(string name) => (await Portal.Hypervisor.ListPoolsAsync(Ct)).Any(p => p.Name == name);

    [Fact]
    public async Task Remove_BlockDomainHoldingMemory_RefusedNamingTheVmAndSnapshot()
    {
        var block = await AddAsync("san-block", StorageSource.PartitionedDevice, "/dev/sdz");
        var web = await Portal.VmIdAsync("web-frontend");
        await PortalFixture.Succeeds(Portal.Command<CreateSnapshotCommand>().ExecuteAsync(new CreateSnapshotRequest(web, "before upgrade", true, block), PortalFixture.Alice, Ct));

        var result = await Remove(block, confirmed: true, removePool: true);

        Assert.Equal(ResultKind.Conflict, result.Kind);
        Assert.Equal("san-block holds 1 memory volume(s) of VM web-frontend (snapshots web-frontend: 'before upgrade'). " +
                     "Remove those snapshots or VMs, or run the VMs so their memory is used up, before removing the domain.", result.Message);
        Assert.NotNull(await DomainAsync(block));
        Assert.True(await PoolExistsAsync("san-block"));
        Assert.Equal((AuditOutcome.Failure, $"Remove storage domain was refused: {result.Message}"), ((await LastAuditAsync()).Outcome, (await LastAuditAsync()).Message));
    }

    [Fact]
    public async Task Remove_DataDomainHoldingTheVmsDisks_RefusedNamingThem()
    {
        var data = await DomainAsync(DemoNode.DataPool);

        var result = await Remove(data.Id);

        Assert.Equal(ResultKind.Conflict, result.Kind);
        Assert.StartsWith($"{DemoNode.DataPool} holds the disk images of VM build-agent, ", result.Message);
        Assert.NotNull(await DomainAsync(data.Id));
    }

    [Fact]
    public async Task Remove_EmptyDomainThePortalCreated_WithThePool_UndefinesThePoolAndAudits()
    {
        var dir = Path.Combine(Portal.DataDirectory, "storage", "data2");
        var id = await AddAsync("data2", StorageSource.Directory, dir);

        await PortalFixture.Succeeds(Remove(id, removePool: true));

        Assert.Null(await DomainAsync(id));
        Assert.False(await PoolExistsAsync("data2"));
        var audit = await LastAuditAsync();
        Assert.Equal(("Remove storage domain", AuditOutcome.Success), (audit.Operation, audit.Outcome));
        Assert.Equal("Storage domain data2 (Data, File) was removed; the libvirt pool data2 was stopped and undefined (its data stays).", audit.Message);
    }

    [Fact]
    public async Task Remove_WithoutThePool_LeavesThePoolRunning()
    {
        var id = await AddAsync("san-block", StorageSource.PartitionedDevice, "/dev/sdz");

        await PortalFixture.Succeeds(Remove(id));

        Assert.Null(await DomainAsync(id));
        Assert.True((await Portal.Hypervisor.GetPoolAsync("san-block", Ct)).Active);
    }

    [Fact]
    public async Task Remove_PoolThePortalDidNotCreate_RemovingThePoolIsRefused()
    {
        await Portal.Hypervisor.CreatePoolAsync(StoragePoolXml.Directory("by-hand", "/srv/by-hand"), overwrite: false, Ct);
        var id = (Guid)(await PortalFixture.Succeeds(Portal.Command<AddStorageDomainCommand>().ExecuteAsync(
            new AddStorageDomainRequest("by-hand", StorageRole.Data, StorageSource.ExistingPool, PoolName: "by-hand"), PortalFixture.Alice, Ct))).Value!;

        var result = await Remove(id, removePool: true);

        Assert.Equal((ResultKind.Invalid, "The portal did not create the pool by-hand, so it leaves it on the host; remove the domain without removing the pool."),
            (result.Kind, result.Message));
        Assert.NotNull(await DomainAsync(id));
        Assert.True(await PoolExistsAsync("by-hand"));
    }

    [Fact]
    public async Task Remove_ExportDomainWithAnExportedVm_AsksForConfirmationThenKeepsTheFiles()
    {
        var agent = await Portal.VmIdAsync("build-agent");
        var export = await DomainAsync(DemoNode.ExportPool);
        await PortalFixture.Succeeds(Portal.Command<ExportVmCommand>().ExecuteAsync(new ExportVmRequest(agent, export.Id), PortalFixture.Alice, Ct));
        var ovf = Path.Combine((await Portal.Hypervisor.GetPoolAsync(DemoNode.ExportPool, Ct)).TargetPath!, "master", "vms", agent.ToString(), $"{agent}.ovf");

        var unconfirmed = await Remove(export.Id);

        Assert.Equal((ResultKind.Conflict, $"{DemoNode.ExportPool} holds 1 exported VM(s): build-agent. They stay in the pool, but the portal will no longer list them or import them. Confirm to remove the domain."),
            (unconfirmed.Kind, unconfirmed.Message));
        Assert.NotNull(await DomainAsync(export.Id));

        await PortalFixture.Succeeds(Remove(export.Id, confirmed: true));

        Assert.Null(await DomainAsync(export.Id));
        Assert.True(File.Exists(ovf));
        Assert.EndsWith("1 exported VM(s) stay in the pool.", (await LastAuditAsync()).Message);
    }

    [Fact]
    public async Task Remove_AsHelpdesk_ForbiddenAndTheDomainStays()
    {
        var id = await AddAsync("data2", StorageSource.Directory, "/srv/data2");

        var result = await Remove(id, removePool: true, actor: PortalFixture.Bob);

        Assert.Equal((ResultKind.Forbidden, "Remove storage domain needs the Admin role; bob is Helpdesk."), (result.Kind, result.Message));
        Assert.NotNull(await DomainAsync(id));
        Assert.True(await PoolExistsAsync("data2"));
    }

    [Fact]
    public async Task Remove_UnknownDomain_NotFound()
    {
        var result = await Remove(Guid.NewGuid());

        Assert.Equal(ResultKind.NotFound, result.Kind);
    }
}
