using System.Xml.Linq;
using Portal.Core.Audit;
using Portal.Core.Commands;
using Portal.Core.Hosts;
using Portal.Core.Snapshots;
using Portal.Core.Storage;
using Portal.Core.Vms;
using Portal.Tests.Support;

namespace Portal.Tests.Snapshots;

/// <summary>Create rules 1–5 and 7 of DESIGN.md; rollback (rule 6) is in <see cref="CreateSnapshotFailureTests"/>.</summary>
public sealed class CreateSnapshotCommandTests : PortalTest
{
    private Task<CommandResult> Create(Guid vmId, string description, bool saveMemory = true, Guid? domain = null) =>
        Portal.Command<CreateSnapshotCommand>().ExecuteAsync(new CreateSnapshotRequest(vmId, description, saveMemory, domain), PortalFixture.Alice, Ct);

    private async Task<XElement?> LibvirtMemoryElement(Guid vmId, Snapshot s) =>
        XDocument.Parse((await Portal.Hypervisor.GetSnapshotXmlAsync(vmId, s.HypervisorName!, Ct))!).Root!.Element("memory");

    [Fact]
    public async Task Create_WithMemoryOnRunningVm_SnapshotIsOkWithMemoryVolumeInTheDataPool()
    {
        var web = await Portal.VmIdAsync("web-frontend");
        var before = await Portal.LastTransitionIdAsync(web);

        var result = await Create(web, "before upgrade");

        Assert.Equal(ResultKind.Ok, result.Kind);
        Assert.Empty(result.WarningList);
        var snapshot = (await Portal.SnapshotAsync(result.ValueAs<Guid>()))!;
        Assert.Equal(("before upgrade", SnapshotType.Regular, SnapshotStatus.Ok), (snapshot.Description, snapshot.Type, snapshot.Status));
        var mv = snapshot.MemoryVolume!;
        Assert.Equal((1024L + 200) * 1024 * 1024 + 16384L * 1024, mv.SizeBytes);
        Assert.Equal((true, true), await Portal.VolumesExistAsync(mv));
        Assert.Equal(mv.DumpPath, await Portal.Hypervisor.FindVolumePathAsync(DemoNode.DataPool, mv.DumpVolumeName, Ct));

        var memory = (await LibvirtMemoryElement(web, snapshot))!;
        Assert.Equal("external", (string?)memory.Attribute("snapshot"));
        Assert.Equal(mv.DumpPath, (string?)memory.Attribute("file"));

        Assert.Equal(snapshot.Id, (await Portal.ActiveAsync(web)).ParentId);
        Assert.Equal([VmStatus.SavingState, VmStatus.Up], await Portal.StatusesSinceAsync(web, before));
        var audit = (await Portal.AuditAsync(web)).Last();
        Assert.Equal((AuditOutcome.Success, "alice"), (audit.Outcome, audit.User));
        Assert.Contains("with memory", audit.Message);
    }

    [Fact]
    public async Task Create_WithoutMemory_SnapshotHasNoMemoryVolume()
    {
        var web = await Portal.VmIdAsync("web-frontend");
        var before = await Portal.LastTransitionIdAsync(web);

        var id = await Portal.CreateSnapshotAsync(web, "config only", saveMemory: false);

        var snapshot = (await Portal.SnapshotAsync(id))!;
        Assert.Equal(SnapshotStatus.Ok, snapshot.Status);
        Assert.Null(snapshot.MemoryVolumeId);
        Assert.Empty(await Portal.MemoryVolumesAsync());
        // The test driver records a live snapshot's memory as 'internal' whatever it is asked; what matters is that no dump file is named.
        var memory = (await LibvirtMemoryElement(web, snapshot))!;
        Assert.NotEqual("external", (string?)memory.Attribute("snapshot"));
        Assert.Null(memory.Attribute("file"));
        Assert.Empty(await Portal.StatusesSinceAsync(web, before));
    }

    [Fact]
    public async Task Create_PausedVmWithMemory_SavesMemory()
    {
        var web = await Portal.VmIdAsync("web-frontend");
        await Portal.Hypervisor.SuspendAsync(web, Ct);
        await Portal.WaitForStatusAsync(web, VmStatus.Paused);

        var id = await Portal.CreateSnapshotAsync(web, "paused");

        Assert.NotNull((await Portal.SnapshotAsync(id))!.MemoryVolumeId);
        Assert.Equal(VmStatus.Paused, Portal.Monitor.StatusOf(web));
    }

    [Fact]
    public async Task Create_LegacyClusterWithSaveMemory_SnapshotWithoutMemoryAndAWarning()
    {
        var erp = await Portal.VmIdAsync("legacy-erp");

        var result = await Create(erp, "legacy");

        Assert.Equal(ResultKind.Ok, result.Kind);
        Assert.Null((await Portal.SnapshotAsync(result.ValueAs<Guid>()))!.MemoryVolumeId);
        Assert.Equal(["Memory was not saved: cluster Legacy is at compatibility 3.2, and memory snapshots need 3.3 or later."], result.WarningList);
        Assert.Empty(await Portal.MemoryVolumesAsync());
        Assert.Equal(AuditOutcome.Warning, (await Portal.AuditAsync(erp)).Last().Outcome);
    }

    [Fact]
    public async Task Create_DownVmWithSaveMemory_SnapshotWithoutMemory()
    {
        var agent = await Portal.VmIdAsync("build-agent");

        var result = await Create(agent, "offline");

        Assert.Equal(ResultKind.Ok, result.Kind);
        Assert.Null((await Portal.SnapshotAsync(result.ValueAs<Guid>()))!.MemoryVolumeId);
        Assert.Equal(["Memory was not saved: the VM is not running."], result.WarningList);
        Assert.Empty(await Portal.MemoryVolumesAsync());
        Assert.Equal(VmStatus.Down, Portal.Monitor.StatusOf(agent));
    }

    [Fact]
    public async Task Create_HostDeviceVmWithMemory_IsRefusedNamingTheHostDevice()
    {
        var gpu = await Portal.VmIdAsync("gpu-render");

        var result = await Create(gpu, "with memory");

        Assert.Equal(ResultKind.Conflict, result.Kind);
        Assert.Equal("Memory cannot be saved for a VM with host device (pci). Take the snapshot without memory.", result.Message);
        Assert.Single((await Portal.LoadVmAsync(gpu)).Snapshots);
        Assert.Empty(await Portal.Hypervisor.ListSnapshotNamesAsync(gpu, Ct));
    }

    [Fact]
    public async Task Create_HostDeviceVmWithoutMemory_IsAllowed()
    {
        var gpu = await Portal.VmIdAsync("gpu-render");

        var id = await Portal.CreateSnapshotAsync(gpu, "disks only", saveMemory: false);

        Assert.Null((await Portal.SnapshotAsync(id))!.MemoryVolumeId);
        Assert.Single(await Portal.Hypervisor.ListSnapshotNamesAsync(gpu, Ct));
    }

    [Fact]
    public async Task Create_TpmVmWithMemory_IsRefusedNamingTheTpm()
    {
        var tpm = await Portal.DefineAndStartAsync("""
            <domain type='test'><name>tpm-vm</name><memory unit='MiB'>256</memory><vcpu>1</vcpu><os><type arch='x86_64'>hvm</type></os>
              <devices><tpm model='tpm-crb'><backend type='emulator' version='2.0'/></tpm></devices></domain>
            """);

        var result = await Create(tpm, "with memory");

        Assert.Equal((ResultKind.Conflict, "Memory cannot be saved for a VM with TPM. Take the snapshot without memory."), (result.Kind, result.Message));
    }

    [Fact]
    public async Task Create_VmWithABlockDeviceDisk_IsRefusedNamingTheDiskAndNothingIsTaken()
    {
        // libvirt's own refusal was "source for disk 'vdb' is not a regular file; refusing to generate external snapshot name".
        var vm = await Portal.DefineAndStartAsync("""
            <domain type='test'><name>san-vm</name><memory unit='MiB'>256</memory><vcpu>1</vcpu><os><type arch='x86_64'>hvm</type></os>
              <devices>
                <disk type='file' device='disk'><source file='/var/lib/libvirt/images/san-vm.qcow2'/><target dev='vda'/></disk>
                <disk type='block' device='disk'><source dev='/dev/sdb'/><target dev='vdb'/></disk>
                <disk type='file' device='cdrom'><source file='/isos/install.iso'/><target dev='hdc'/><readonly/></disk>
              </devices></domain>
            """);

        var result = await Create(vm, "with a LUN");

        Assert.Equal((ResultKind.Conflict,
            "A snapshot cannot take in disk vdb (block device /dev/sdb): the portal snapshots disks that are image files. " +
            "Mark the disk snapshot='no' in the VM's definition to leave it out, or make it an image file."), (result.Kind, result.Message));
        Assert.Single((await Portal.LoadVmAsync(vm)).Snapshots);
        Assert.Empty(await Portal.Hypervisor.ListSnapshotNamesAsync(vm, Ct));
    }

    [Theory]
    [InlineData("<disk type='network' device='disk'><source protocol='rbd' name='pool/image'/><target dev='vdb'/></disk>", "vdb (network disk rbd:pool/image)")]
    [InlineData("<disk type='volume' device='disk'><source pool='lvm' volume='lv1'/><target dev='vdc'/></disk>", "vdc (volume lv1 of pool lvm)")]
    [InlineData("<disk type='block' device='disk' snapshot='no'><source dev='/dev/sdb'/><target dev='vdb'/></disk>", null)]
    [InlineData("<disk type='block' device='cdrom'><source dev='/dev/sr0'/><target dev='hdc'/><readonly/></disk>", null)]
    [InlineData("<disk type='file' device='disk'><source file='/images/a.qcow2'/><target dev='vda'/></disk>", null)]
    [InlineData("<disk type='file' device='cdrom'><target dev='hdc'/><readonly/></disk>", null)]
    public void UnsnapshottableDisks_ByKind_NameWhatASnapshotCannotTakeIn(string disk, string? described)
    {
        var found = DomainXml.UnsnapshottableDisks(DomainXml.Parse($"<domain><devices>{disk}</devices></domain>"));

        Assert.Equal(described is null ? [] : [described], found);
    }

    [Fact]
    public async Task OffersSaveMemory_ByStatusAndCluster_OnlyForARunningVmAtCompatibility33OrLater()
    {
        var rows = (await Portal.Queries.VmsAsync(Ct)).ToDictionary(r => r.Name, r => CreateSnapshotCommand.OffersSaveMemory(r.Facts));

        Assert.True(rows["web-frontend"]);
        Assert.False(rows["build-agent"]);
        Assert.False(rows["legacy-erp"]);
        Assert.False(rows["legacy-reports"]);
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    public async Task Create_EmptyDescription_IsInvalid(string description)
    {
        var web = await Portal.VmIdAsync("web-frontend");

        var result = await Create(web, description);

        Assert.Equal((ResultKind.Invalid, "Enter a description for the snapshot."), (result.Kind, result.Message));
        Assert.Single((await Portal.LoadVmAsync(web)).Snapshots);
    }

    [Fact]
    public async Task Create_OversizedDescription_IsInvalid()
    {
        var web = await Portal.VmIdAsync("web-frontend");

        var result = await Create(web, new string('d', Snapshot.MaxDescriptionLength + 1));

        Assert.Equal((ResultKind.Invalid, "The description is 4001 characters long; at most 4000 are allowed."), (result.Kind, result.Message));
        Assert.Single((await Portal.LoadVmAsync(web)).Snapshots);
    }

    [Fact]
    public async Task Create_LongestAllowedDescription_IsStoredWhole()
    {
        var web = await Portal.VmIdAsync("web-frontend");
        var description = new string('d', Snapshot.MaxDescriptionLength);

        var id = await Portal.CreateSnapshotAsync(web, description, saveMemory: false);

        Assert.Equal(description, (await Portal.SnapshotAsync(id))!.Description);
    }

    [Fact]
    public async Task Create_DescriptionWithControlCharacters_IsInvalid()
    {
        var web = await Portal.VmIdAsync("web-frontend");

        var result = await Create(web, "bad\u0007bell");

        // Every command refuses what XML cannot carry first (TextInput), naming the character.
        Assert.Equal((ResultKind.Invalid, "The description contains a character that cannot be stored or shown (U+0007 at position 4); remove it."),
            (result.Kind, result.Message));
    }

    [Fact]
    public async Task Create_VmInPreview_IsRefused()
    {
        var agent = await Portal.VmIdAsync("build-agent");
        var s1 = await Portal.CreateSnapshotAsync(agent, "s1", saveMemory: false);
        await Portal.PreviewAsync(agent, s1);

        var result = await Create(agent, "s2");

        Assert.Equal((ResultKind.Conflict, "The VM is in preview of a snapshot. Commit or undo the preview first."), (result.Kind, result.Message));
        Assert.Equal(3, (await Portal.LoadVmAsync(agent)).Snapshots.Count);
    }

    [Fact]
    public async Task Create_StatelessVmRunning_IsRefused()
    {
        var kiosk = await Portal.VmIdAsync("kiosk-stateless");
        await Portal.RunAsync(kiosk);

        var result = await Create(kiosk, "while stateless");

        Assert.Equal(ResultKind.Conflict, result.Kind);
        Assert.StartsWith("The VM is running as Stateless", result.Message);
        Assert.DoesNotContain((await Portal.LoadVmAsync(kiosk)).Snapshots, s => s.Type == SnapshotType.Regular);
    }

    [Fact]
    public async Task Create_WhileAnotherOperationHoldsTheVm_IsAConflictNamingThatOperation()
    {
        var web = await Portal.VmIdAsync("web-frontend");
        using var held = Portal.Locks.TryAcquire(web, "Create snapshot", out _);

        var result = await Create(web, "second");

        Assert.Equal(ResultKind.Conflict, result.Kind);
        Assert.Equal("Cannot create snapshot: the operation 'Create snapshot' is in progress on this VM. Try again when it has finished.", result.Message);
        Assert.Single((await Portal.LoadVmAsync(web)).Snapshots);
    }

    [Fact]
    public async Task Create_MemoryOnAnExportDomain_IsRefused()
    {
        var web = await Portal.VmIdAsync("web-frontend");
        var export = (await Portal.Queries.StorageDomainsAsync(Ct)).Single(d => d.Role == StorageRole.Export);

        var result = await Create(web, "to export", domain: export.Id);

        Assert.Equal((ResultKind.Conflict, "The chosen storage domain does not exist or is not a data domain."), (result.Kind, result.Message));
        Assert.Empty(await Portal.MemoryVolumesAsync());
    }

    [Fact]
    public async Task Create_MemoryLargerThanAnyDataDomain_IsRefusedWithTheSizes()
    {
        // A 120 GiB guest, defined and started by another client: its memory cannot fit the 100 GiB pool.
        var big = await Portal.DefineAndStartAsync("""
            <domain type='test'><name>big-memory</name><memory unit='GiB'>120</memory><vcpu>1</vcpu><os><type arch='x86_64'>hvm</type></os></domain>
            """);

        var result = await Create(big, "too big");

        Assert.Equal(ResultKind.Conflict, result.Kind);
        Assert.Equal("No storage domain has room for the memory: 123081 MiB are needed (data-file has 102400 MiB free).", result.Message);
        Assert.Single((await Portal.LoadVmAsync(big)).Snapshots);
    }

    [Fact]
    public async Task Create_UnknownVm_IsNotFound()
    {
        var result = await Create(Guid.NewGuid(), "nothing");

        Assert.Equal(ResultKind.NotFound, result.Kind);
    }
}
