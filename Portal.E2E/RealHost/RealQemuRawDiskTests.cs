using System.Xml.Linq;
using Portal.Core.Vms;
using Portal.E2E.Infrastructure;
using static Portal.E2E.RealHost.HostCommands;

namespace Portal.E2E.RealHost;

/// <summary>
/// A guest on a raw disk image (as many imported VMs are) on a real QEMU host. Its snapshots put qcow2 overlays over
/// the raw image, so a guest restored from memory must run on its overlay as qcow2: the dump's own XML still says raw,
/// and QEMU would read the overlay's qcow2 header as the guest's disk.
/// </summary>
[Trait("Category", "RealHost")]
public sealed class RealQemuRawDiskTests(RealHostFixture portal) : PortalTest(portal), IClassFixture<RealHostFixture>
{
    private const string Vm = "raw-guest";

    [Fact(Timeout = RealHostSteps.TestTimeoutMs)]
    public async Task RawDiskGuest_RestoredFromMemory_RunsOnItsOverlayAsQcow2AndCanBeCloned()
    {
        await DefineRawGuestAsync();
        await SignInAsync();
        var steps = new RealHostSteps(Page, Db);
        await steps.OpenVmAsync(Vm);
        var (bootId, _) = await steps.RunAndWaitForCountersAsync(Vm, atLeast: 2);
        var snapshot = await steps.CreateMemorySnapshotAsync(Vm, "raw");
        Assert.Equal(("qcow2", "raw"), (Disk(Vm).Type, Format(Disk(Vm).Source).Backing)); // the running guest moved onto an overlay
        await steps.StopAsync(Vm);

        await steps.PreviewAsync(snapshot, restoreMemory: true);
        var restored = await steps.RunAndReadNewOutputAsync(Vm);
        Assert.Equal([VmStatus.RestoringState, VmStatus.Up], restored.Statuses);
        Assert.Equal(bootId, GuestConsole.Counters(restored.Text).First().BootId);
        var running = Disk(Vm);
        Assert.Equal(("qcow2", "qcow2"), (running.Type, Format(running.Source).Format));
        await steps.StopAsync(Vm);
        await steps.UndoAsync(Vm);

        var clone = $"{Vm}-copy";
        await steps.CloneAsync(Vm, snapshot, clone);
        Assert.Equal(("qcow2", "qcow2", (string?)null), (Disk(clone).Type, Format(Disk(clone).Source).Format, Format(Disk(clone).Source).Backing));
        var mark = await Db.TransitionMarkAsync();
        await steps.RunAndWaitForCountersAsync(clone, atLeast: 2);
        Assert.Equal([VmStatus.PoweringUp, VmStatus.Up], await Db.StatusSequenceAsync(clone, mark));
        await steps.StopAsync(clone);
    }

    private static (string? Type, string Source) Disk(string vm)
    {
        var disk = XDocument.Parse(Virsh($"dumpxml {vm}")).Root!.Element("devices")!.Elements("disk").Single();
        return ((string?)disk.Element("driver")?.Attribute("type"), (string)disk.Element("source")!.Attribute("file")!);
    }

    /// <summary>The image's own format and its backing file's format, as qemu-img reads them from the file.</summary>
    private static (string Format, string? Backing) Format(string image)
    {
        var info = System.Text.Json.JsonDocument.Parse(Run("qemu-img", $"info -U --output=json {image}")).RootElement;
        return (info.GetProperty("format").GetString()!,
            info.TryGetProperty("backing-filename-format", out var b) ? b.GetString() : null);
    }

    private Task DefineRawGuestAsync()
    {
        var root = RealHostFixture.Root;
        Virsh($"vol-create-as portal-data {Vm}.img 64M --format raw");
        var xml = $"""
            <domain type='qemu'>
              <name>{Vm}</name>
              <memory unit='MiB'>128</memory>
              <vcpu>1</vcpu>
              <os><type arch='x86_64' machine='pc'>hvm</type><kernel>{root}/guest/vmlinuz</kernel><initrd>{root}/guest/initrd.gz</initrd><cmdline>console=tty0 console=ttyS0 panic=-1</cmdline></os>
              <on_reboot>destroy</on_reboot>
              <devices>
                <disk type='file' device='disk'><driver name='qemu' type='raw'/><source file='{root}/data/{Vm}.img'/><target dev='vda' bus='virtio'/></disk>
                <serial type='pty'><log file='{root}/console/{Vm}.log' append='on'/><target port='0'/></serial>
                <console type='pty'><target type='serial' port='0'/></console>
                <memballoon model='none'/>
              </devices>
            </domain>
            """;
        return DefineAsync(Db, Vm, xml);
    }
}
