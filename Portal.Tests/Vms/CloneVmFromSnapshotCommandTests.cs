using Portal.Core.Commands;
using Portal.Core.Hypervisor;
using Portal.Core.Snapshots;
using Portal.Core.Vms;
using Portal.Tests.Support;

namespace Portal.Tests.Vms;

public sealed class CloneVmFromSnapshotCommandTests : PortalTest
{
    private Task<CommandResult> Clone(Guid vmId, Guid snapshotId, string name) =>
        Portal.Command<CloneVmFromSnapshotCommand>().ExecuteAsync(new CloneVmFromSnapshotRequest(vmId, snapshotId, name), PortalFixture.Alice, Ct);

    [Fact]
    public async Task Clone_FromMemorySnapshot_NewVmHasOnlyAnActiveSnapshotAndNoMemory()
    {
        var web = await Portal.VmIdAsync("web-frontend");
        var s1 = await Portal.CreateSnapshotAsync(web, "s1");

        var result = await Clone(web, s1, "web-clone");

        Assert.Equal(ResultKind.Ok, result.Kind);
        Assert.Equal([CloneVmFromSnapshotCommand.MemoryDiscardedWarning], result.WarningList);
        var id = result.ValueAs<Guid>();
        var domain = (await Portal.Hypervisor.FindDomainAsync(id, Ct))!;
        Assert.Equal(("web-clone", DomainRunState.ShutOff), (domain.Name, domain.State));
        var clone = await Portal.LoadVmAsync(id);
        Assert.Equal(("web-clone", "Production", 1024), (clone.Name, clone.Cluster!.Name, clone.MemoryMiB));
        var active = Assert.Single(clone.Snapshots);
        Assert.Equal((SnapshotType.Active, (Guid?)null), (active.Type, active.MemoryVolumeId));
        Assert.Equal(VmStatus.Down, Portal.Monitor.StatusOf(id));
        Assert.Single(await Portal.MemoryVolumesAsync());
        Assert.Equal(2, (await Portal.LoadVmAsync(web)).Snapshots.Count);
    }

    [Fact]
    public async Task Clone_FromSnapshotWithoutMemory_WarnsOfNothing()
    {
        var agent = await Portal.VmIdAsync("build-agent");
        var s1 = await Portal.CreateSnapshotAsync(agent, "s1");

        var result = await Clone(agent, s1, "agent-2");

        Assert.Equal(ResultKind.Ok, result.Kind);
        Assert.Empty(result.WarningList);
    }

    [Fact]
    public async Task Clone_ThenRun_BootsFresh()
    {
        var web = await Portal.VmIdAsync("web-frontend");
        var s1 = await Portal.CreateSnapshotAsync(web, "s1");
        var clone = (await PortalFixture.Succeeds(Clone(web, s1, "web-clone"))).ValueAs<Guid>();
        var before = await Portal.LastTransitionIdAsync(clone);

        await Portal.RunAsync(clone);

        Assert.Equal([VmStatus.PoweringUp, VmStatus.Up], await Portal.StatusesSinceAsync(clone, before));
        Assert.Equal(DomainRunState.Running, await Portal.DomainStateAsync(clone));
    }

    [Fact]
    public async Task Clone_NameOfAnExistingVm_IsInvalid()
    {
        var agent = await Portal.VmIdAsync("build-agent");
        var s1 = await Portal.CreateSnapshotAsync(agent, "s1");

        var result = await Clone(agent, s1, "db-primary");

        Assert.Equal((ResultKind.Invalid, "A VM named db-primary already exists."), (result.Kind, result.Message));
        Assert.Equal(7, (await Portal.Hypervisor.ListDomainsAsync(Ct)).Count);
    }

    [Theory]
    [InlineData("")]
    [InlineData("-leading-dash")]
    [InlineData("has space")]
    [InlineData("ünïcode")]
    [InlineData("a-name-that-is-sixty-five-characters-long-which-is-one-too-many-x")]
    public async Task Clone_BadName_IsInvalid(string name)
    {
        var agent = await Portal.VmIdAsync("build-agent");
        var s1 = await Portal.CreateSnapshotAsync(agent, "s1");

        var result = await Clone(agent, s1, name);

        Assert.Equal((ResultKind.Invalid, "A VM name has 1 to 64 letters, digits, '.', '_' or '-', and starts with a letter or digit."), (result.Kind, result.Message));
        Assert.Equal(7, (await Portal.Hypervisor.ListDomainsAsync(Ct)).Count);
    }

    [Fact]
    public async Task Clone_FromTheActiveSnapshot_IsRefused()
    {
        var agent = await Portal.VmIdAsync("build-agent");

        var result = await Clone(agent, (await Portal.ActiveAsync(agent)).Id, "agent-2");

        Assert.Equal((ResultKind.Conflict, "Cannot clone from it: 'Active VM' is not a regular snapshot."), (result.Kind, result.Message));
    }
}

public sealed class AsNewDomainTests
{
    private const string Source = """
        <domain type='qemu' id='4'><name>tiny</name><uuid>7e1a0000-0000-4000-8000-000000000001</uuid>
        <os><type arch='x86_64' machine='q35'>hvm</type><loader readonly='yes' type='pflash'>/usr/share/OVMF/OVMF_CODE_4M.fd</loader>
          <nvram template='/usr/share/OVMF/OVMF_VARS_4M.fd'>/var/lib/libvirt/qemu/nvram/tiny_VARS.fd</nvram></os><devices>
          <disk type='file' device='disk'><source file='/data/tiny.qcow2'/><target dev='vda'/></disk>
          <interface type='network'><mac address='52:54:00:12:34:56'/><source network='default'/></interface>
          <serial type='pty'><log file='/var/log/guests/tiny.log' append='on'/><target port='0'/></serial>
          <serial type='file'><source path='/var/log/guests/serial1.out'/><target port='1'/></serial>
          <console type='pty'><target type='serial' port='0'/></console>
        </devices></domain>
        """;

    [Fact]
    public void AsNewDomain_CharacterDeviceFiles_BecomeTheClonesOwnAndTheRestStays()
    {
        var id = Guid.NewGuid();

        var clone = DomainXml.Parse(DomainXml.AsNewDomain(Source, "tiny-copy", id)).Root!;

        Assert.Equal(("tiny-copy", id.ToString(), (string?)null), ((string?)clone.Element("name"), (string?)clone.Element("uuid"), (string?)clone.Attribute("id")));
        Assert.Empty(clone.Descendants("mac"));
        var serials = clone.Element("devices")!.Elements("serial").ToList();
        Assert.Equal("/var/log/guests/tiny-copy.log", (string?)serials[0].Element("log")!.Attribute("file"));
        Assert.Equal("/var/log/guests/serial1-tiny-copy.out", (string?)serials[1].Element("source")!.Attribute("path"));
        var nvram = clone.Element("os")!.Element("nvram")!;
        Assert.Equal(("/usr/share/OVMF/OVMF_VARS_4M.fd", true), ((string?)nvram.Attribute("template"), nvram.IsEmpty)); // libvirt names the clone's own
        Assert.Equal("/usr/share/OVMF/OVMF_CODE_4M.fd", clone.Element("os")!.Element("loader")!.Value);
        Assert.Equal("/data/tiny.qcow2", DomainXml.DiskFiles(clone.Document!.ToString()).Single()); // the command gives it its copies
    }
}
