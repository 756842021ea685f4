using Microsoft.EntityFrameworkCore;
using Portal.Core.Audit;
using Portal.Core.Commands;
using Portal.Core.Hosts;
using Portal.Core.Storage;
using Portal.Tests.Support;

namespace Portal.Tests.Storage;

/// <summary>Adding storage domains on the embedded test driver, which defines, builds and starts dir and disk pools (metadata only).</summary>
public sealed class AddStorageDomainCommandTests() : PortalTest(injectFaults: true)
{
    private Task<CommandResult> Add(AddStorageDomainRequest request, Core.Auth.Actor? actor = null) =>
        Portal.Command<AddStorageDomainCommand>().ExecuteAsync(request, actor ?? PortalFixture.Alice, Ct);

    private async Task<StorageDomain?> DomainAsync(string name)
    {
        await using var db = await Portal.DbAsync();
        return await db.StorageDomains.AsNoTracking().SingleOrDefaultAsync(d => d.Name == name, Ct);
    }

    private async Task<AuditEntry> LastAuditAsync()
    {
        await using var db = await Portal.DbAsync();
        return await db.AuditEntries.AsNoTracking().OrderBy(a => a.Id).LastAsync(Ct);
    }

    [Fact]
    public async Task AddDirectory_AsAdmin_CreatesAndStartsThePoolAndRegistersAFileDomain()
    {
        var dir = Path.Combine(Portal.DataDirectory, "storage", "data2");

        var result = await PortalFixture.Succeeds(Add(new AddStorageDomainRequest("data2", StorageRole.Data, StorageSource.Directory, Path: dir)));

        var domain = await DomainAsync("data2");
        Assert.Equal((result.Value, StorageKind.File, StorageRole.Data, "data2", true), (domain!.Id, domain.Kind, domain.Role, domain.PoolName, domain.PoolCreatedByPortal));
        var pool = Assert.Single(await Portal.Hypervisor.ListPoolsAsync(Ct), p => p.Name == "data2");
        Assert.Equal(("dir", dir, true), (pool.Type, pool.TargetPath, pool.Active));
        var audit = await LastAuditAsync();
        Assert.Equal(("Add storage domain", AuditOutcome.Success, "alice"), (audit.Operation, audit.Outcome, audit.User));
        Assert.StartsWith("Storage domain data2 (Data, File) was added: the portal created the libvirt dir pool data2", audit.Message);
    }

    [Fact]
    public async Task AddPartitionedDevice_AsAdmin_RegistersABlockDomainOnADiskPool()
    {
        await PortalFixture.Succeeds(Add(new AddStorageDomainRequest("san-block", StorageRole.Data, StorageSource.PartitionedDevice, Path: "/dev/sdz")));

        var domain = await DomainAsync("san-block");
        Assert.Equal((StorageKind.Block, true), (domain!.Kind, domain.PoolCreatedByPortal));
        Assert.Equal(("disk", "/dev"), ((await Portal.Hypervisor.GetPoolAsync("san-block", Ct)).Type, (await Portal.Hypervisor.GetPoolAsync("san-block", Ct)).TargetPath));
    }

    [Fact]
    public async Task AddExistingPool_DiskPoolDefinedByHand_IsABlockDomainThePortalDidNotCreate()
    {
        await Portal.Hypervisor.CreatePoolAsync(StoragePoolXml.Disk("by-hand", "/dev/sdy"), overwrite: false, Ct);

        await PortalFixture.Succeeds(Add(new AddStorageDomainRequest("lun7", StorageRole.Data, StorageSource.ExistingPool, PoolName: "by-hand")));

        var domain = await DomainAsync("lun7");
        Assert.Equal(("by-hand", StorageKind.Block, false), (domain!.PoolName, domain.Kind, domain.PoolCreatedByPortal));
    }

    [Fact]
    public async Task AddExistingPool_PoolAlreadyADomain_RefusedNamingTheDomain()
    {
        var result = await Add(new AddStorageDomainRequest("again", StorageRole.Data, StorageSource.ExistingPool, PoolName: DemoNode.DataPool));

        Assert.Equal((ResultKind.Conflict, $"The pool {DemoNode.DataPool} is already the storage domain {DemoNode.DataPool}."), (result.Kind, result.Message));
        Assert.Null(await DomainAsync("again"));
    }

    [Fact]
    public async Task AddExistingPool_NoSuchPool_NotFoundWithLibvirtsReason()
    {
        var result = await Add(new AddStorageDomainRequest("ghost", StorageRole.Data, StorageSource.ExistingPool, PoolName: "no-such-pool"));

        Assert.Equal(ResultKind.NotFound, result.Kind);
        Assert.StartsWith("The host has no storage pool no-such-pool: ", result.Message);
    }

    [Fact]
    public async Task AddExportDomain_OnABlockDevice_RefusedAndNothingDefined()
    {
        var result = await Add(new AddStorageDomainRequest("export-block", StorageRole.Export, StorageSource.PartitionedDevice, Path: "/dev/sdx"));

        Assert.Equal((ResultKind.Invalid, "An export domain holds OVF files, so it must be a directory."), (result.Kind, result.Message));
        Assert.DoesNotContain(await Portal.Hypervisor.ListPoolsAsync(Ct), p => p.Name == "export-block");
    }

    [Theory]
    [InlineData(StorageSource.Directory, "relative/dir", null, "Enter the directory as an absolute path, such as /var/lib/portal/data2.")]
    [InlineData(StorageSource.Directory, "/srv/../etc", null, "Enter the directory as an absolute path, such as /var/lib/portal/data2.")]
    [InlineData(StorageSource.PartitionedDevice, "/etc/passwd", null, "Enter the block device as a path under /dev, such as /dev/sdb.")]
    [InlineData(StorageSource.PartitionedDevice, "/dev/../etc/passwd", null, "Enter the block device as a path under /dev, such as /dev/sdb.")]
    [InlineData(StorageSource.VolumeGroup, null, "-vg", "Enter the volume group's name: letters, digits, '+', '_', '.' or '-', not starting with '-' or '.'.")]
    [InlineData(StorageSource.VolumeGroup, null, "vg/x", "Enter the volume group's name: letters, digits, '+', '_', '.' or '-', not starting with '-' or '.'.")]
    public async Task Add_BadLocation_RefusedWithTheRuleAndAudited(StorageSource source, string? path, string? vg, string reason)
    {
        var result = await Add(new AddStorageDomainRequest("bad", StorageRole.Data, source, Path: path, VolumeGroup: vg, Devices: ["/dev/sdw"]));

        Assert.Equal((ResultKind.Invalid, reason), (result.Kind, result.Message));
        Assert.DoesNotContain(await Portal.Hypervisor.ListPoolsAsync(Ct), p => p.Name == "bad");
        var audit = await LastAuditAsync();
        Assert.Equal((AuditOutcome.Failure, $"Add storage domain was refused: {reason}"), (audit.Outcome, audit.Message));
    }

    [Fact]
    public async Task AddVolumeGroup_DeviceOutsideDev_Refused()
    {
        var result = await Add(new AddStorageDomainRequest("vg-domain", StorageRole.Data, StorageSource.VolumeGroup, VolumeGroup: "vg0", Devices: ["/dev/sdc", "/tmp/file"]));

        Assert.Equal((ResultKind.Invalid, "Enter each device as a path under /dev, such as /dev/sdc."), (result.Kind, result.Message));
    }

    [Fact]
    public async Task Add_NameTaken_RefusedAndTheExistingDomainStays()
    {
        var result = await Add(new AddStorageDomainRequest(DemoNode.ExportPool, StorageRole.Data, StorageSource.Directory, Path: "/srv/x"));

        Assert.Equal((ResultKind.Conflict, $"A storage domain named {DemoNode.ExportPool} exists already."), (result.Kind, result.Message));
        Assert.Equal(StorageRole.Export, (await DomainAsync(DemoNode.ExportPool))!.Role);
    }

    [Fact]
    public async Task Add_AsHelpdesk_ForbiddenNothingDefinedAndAudited()
    {
        var result = await Add(new AddStorageDomainRequest("data3", StorageRole.Data, StorageSource.Directory, Path: "/srv/data3"), PortalFixture.Bob);

        Assert.Equal((ResultKind.Forbidden, "Add storage domain needs the Admin role; bob is Helpdesk."), (result.Kind, result.Message));
        Assert.Null(await DomainAsync("data3"));
        Assert.DoesNotContain(await Portal.Hypervisor.ListPoolsAsync(Ct), p => p.Name == "data3");
        Assert.Equal(("bob", AuditOutcome.Failure), ((await LastAuditAsync()).User, (await LastAuditAsync()).Outcome));
    }

    [Fact]
    public async Task Add_NameTakenWhileThePoolIsMade_ThePoolGoesAgainAndTheFailureIsAudited()
    {
        // Another writer takes the name after validation, while libvirt defines the pool: saving the domain fails.
        var (reached, release) = Portal.Faults.HoldOn(nameof(Core.Hypervisor.IHypervisor.CreatePoolAsync));
        var adding = Add(new AddStorageDomainRequest("racy", StorageRole.Data, StorageSource.Directory, Path: "/srv/racy"));
        await reached;
        await using (var db = await Portal.DbAsync())
        {
            db.StorageDomains.Add(new StorageDomain { Name = "racy", PoolName = "elsewhere", Kind = StorageKind.File, Role = StorageRole.Data });
            await db.SaveChangesAsync(Ct);
        }
        release.SetResult();

        var result = await adding;

        Assert.Equal(ResultKind.Failed, result.Kind);
        Assert.StartsWith("Failed to add storage domain racy: ", result.Message);
        Assert.DoesNotContain(await Portal.Hypervisor.ListPoolsAsync(Ct), p => p.Name == "racy");
        Assert.Equal("elsewhere", (await DomainAsync("racy"))!.PoolName);
        Assert.Equal((AuditOutcome.Failure, result.Message), ((await LastAuditAsync()).Outcome, (await LastAuditAsync()).Message));
    }
}
