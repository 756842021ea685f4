using Portal.Core.Vms;
using Portal.E2E.Infrastructure;
using static Portal.E2E.RealHost.HostCommands;

namespace Portal.E2E.RealHost;

/// <summary>
/// A UEFI guest (OVMF, with its variables in a file of its own, as virt-install defines one; 512 MiB, as OVMF stops
/// with "Can't find image information" in 128) on a real QEMU host: its memory comes back as any guest's. Once
/// it has run, libvirt refuses to undefine it unless told what to do with that file, so Remove VM must say; and a clone
/// must get a variables file of its own instead of writing into its source's.
/// </summary>
[Trait("Category", "RealHost")]
public sealed class RealQemuUefiTests(RealHostFixture portal) : PortalTest(portal), IClassFixture<RealHostFixture>
{
    private const string Vm = "uefi-guest";
    private const string NvramDir = "/var/lib/libvirt/qemu/nvram";
    private static float SlowMs => (float)RealHostSteps.Slow.TotalMilliseconds;

    [Fact(Timeout = RealHostSteps.TestTimeoutMs)]
    public async Task UefiGuest_RestoredFromMemoryClonedAndRemoved_EachHasItsOwnVariablesFileWhichGoesWithIt()
    {
        var clone = $"{Vm}-copy";
        await DefineUefiGuestAsync();
        await SignInAsync();
        var steps = new RealHostSteps(Page, Db);
        await steps.OpenVmAsync(Vm);
        var (bootId, before) = await steps.RunAndWaitForCountersAsync(Vm, atLeast: 2);
        Assert.True(File.Exists($"{NvramDir}/{Vm}_VARS.fd"), "libvirt made the guest's variables file from the template");
        var snapshot = await steps.CreateMemorySnapshotAsync(Vm, "uefi");
        await steps.StopAsync(Vm);

        // The memory comes back into the firmware-booted guest as into the others.
        await steps.PreviewAsync(snapshot, restoreMemory: true);
        var restored = await steps.RunAndReadNewOutputAsync(Vm);
        Assert.Equal([VmStatus.RestoringState, VmStatus.Up], restored.Statuses);
        Assert.Empty(GuestConsole.Boots(restored.Text));
        Assert.Equal(bootId, GuestConsole.Counters(restored.Text).First().BootId);
        Assert.True(GuestConsole.Counters(restored.Text).First().Counter >= before);
        await steps.StopAsync(Vm);
        await steps.UndoAsync(Vm);

        await steps.CloneAsync(Vm, snapshot, clone);
        Assert.Contains($">{NvramDir}/{clone}_VARS.fd</nvram>", Virsh($"dumpxml --inactive {clone}"));
        await RunAsync(clone);
        await steps.StopAsync(clone);
        Assert.True(File.Exists($"{NvramDir}/{clone}_VARS.fd"));

        await steps.RemoveVmAsync(clone);
        Assert.False(File.Exists($"{NvramDir}/{clone}_VARS.fd"), "the clone's variables go with it");
        Assert.True(File.Exists($"{NvramDir}/{Vm}_VARS.fd"), "and its source's stay");
        await steps.OpenVmAsync(Vm);
        await steps.RemoveVmAsync(Vm);
        Assert.DoesNotContain(Vm, Virsh("list --all --name").Split('\n').Select(l => l.Trim()));
        Assert.False(File.Exists($"{NvramDir}/{Vm}_VARS.fd"));
    }

    /// <summary>Runs the open VM and waits for Up: QEMU runs the firmware; the guest's own boot is not waited for.</summary>
    private async Task RunAsync(string vm)
    {
        await Page.GetByRole(AriaRole.Button, new() { Name = $"Run {vm}", Exact = true }).ClickAsync();
        await Expect(Page.GetByTestId("vm-status")).ToHaveAttributeAsync("data-status", "Up", new() { Timeout = SlowMs });
        await Expect(Page.GetByTestId("vm-locked-by")).ToHaveCountAsync(0, new() { Timeout = SlowMs });
    }

    private Task DefineUefiGuestAsync()
    {
        var root = RealHostFixture.Root;
        Virsh($"vol-create-as portal-data {Vm}.qcow2 64M --format qcow2");
        var xml = $"""
            <domain type='qemu'>
              <name>{Vm}</name>
              <memory unit='MiB'>512</memory>
              <vcpu>1</vcpu>
              <os>
                <type arch='x86_64' machine='q35'>hvm</type>
                <loader readonly='yes' type='pflash'>/usr/share/OVMF/OVMF_CODE_4M.fd</loader>
                <nvram template='/usr/share/OVMF/OVMF_VARS_4M.fd'>{NvramDir}/{Vm}_VARS.fd</nvram>
                <kernel>{root}/guest/vmlinuz</kernel><initrd>{root}/guest/initrd.gz</initrd><cmdline>console=ttyS0 panic=-1</cmdline>
              </os>
              <features><acpi/></features>
              <on_reboot>destroy</on_reboot>
              <devices>
                <disk type='file' device='disk'><driver name='qemu' type='qcow2'/><source file='{root}/data/{Vm}.qcow2'/><target dev='vda' bus='virtio'/></disk>
                <serial type='pty'><log file='{root}/console/{Vm}.log' append='on'/><target port='0'/></serial>
                <memballoon model='none'/>
              </devices>
            </domain>
            """;
        return DefineAsync(Db, Vm, xml);
    }
}
