using System.Diagnostics;
using Portal.Core.Audit;
using Portal.Core.Vms;
using Portal.E2E.Infrastructure;

namespace Portal.E2E.RealHost;

/// <summary>
/// #4's faults on the real host, during a memory dump: libvirtd killed, and the storage domain running out of space.
/// The dump is held at its start by stopping the guest's QEMU process (SIGSTOP: libvirt waits for QEMU to pause the
/// guest), so the fault lands inside it every time; SIGCONT lets it go on. Either way the snapshot is rolled back,
/// the VM is not left locked, the half-written dump is removed and the audit log says what happened.
/// </summary>
[Trait("Category", "RealHost")]
public sealed class RealQemuFaultTests(RealHostFixture portal) : PortalTest(portal), IClassFixture<RealHostFixture>
{
    private const string Vm = "tiny";
    private static float SlowMs => (float)RealHostSteps.Slow.TotalMilliseconds;
    private static readonly string Run = Path.Combine(RealHostFixture.Root, "run");
    private static readonly string Small = Path.Combine(RealHostFixture.Root, "small");

    [Fact]
    public async Task CreateWithMemory_LibvirtdKilledDuringTheDump_RolledBackUnlockedAndTheDumpRemoved()
    {
        await SignInAsync();
        var steps = new RealHostSteps(Page, Db);
        await steps.OpenVmAsync(Vm);
        await steps.RunAndWaitForCountersAsync(Vm, atLeast: 2);
        var audit = await Db.AuditMarkAsync();
        var qemu = QemuPid(Vm);

        Signal("STOP", qemu);
        string dump;
        try
        {
            await StartMemorySnapshotAsync("killed daemon", domain: null);
            dump = (await WaitForMemoryVolumeAsync()).DumpPath;
            await Task.Delay(TimeSpan.FromSeconds(2)); // the portal reaches the snapshot call, which waits for QEMU
            Signal("KILL", int.Parse(File.ReadAllText(Path.Combine(Run, "libvirtd.pid")).Trim()));
        }
        finally
        {
            Signal("CONT", qemu);
            Bash("scripts/real-host/start-libvirtd.sh", Run);
        }

        var failure = (await Db.WaitForAuditAsync(audit, Vm)).First(a => a.Operation == "Create snapshot" && a.Outcome == AuditOutcome.Failure);
        Assert.Contains("killed daemon", failure.Message);
        await Expect(Page.GetByTestId("vm-locked-by")).ToHaveCountAsync(0, new() { Timeout = SlowMs });
        Assert.DoesNotContain(await Db.SnapshotsAsync(Vm), s => s.Description == "killed daemon");
        // The host comes back: the half-written dump is removed, and the VM shows what QEMU is doing again.
        await Poll.UntilAsync(async () => (await Db.MemoryVolumesAsync()).Count == 0 && !File.Exists(dump), done => done,
            "the half-written dump to be removed once libvirtd answers again", RealHostSteps.Slow);
        await Poll.UntilAsync(async () => (await Db.VmAsync(Vm)).Status, s => s is VmStatus.Up or VmStatus.Paused,
            "the VM to show its host's state again", RealHostSteps.Slow);
        Assert.Contains(await Db.AuditAsync(audit), a => a.Operation == "Remove memory volume" && a.Outcome == AuditOutcome.Success);
        await steps.StopAsync(Vm);
    }

    [Fact]
    public async Task CreateWithMemory_DomainRunsOutOfSpaceDuringTheDump_RolledBackAndTheGuestRunsOn()
    {
        await SignInAsync();
        var steps = new RealHostSteps(Page, Db);
        await steps.OpenVmAsync(Vm);
        await steps.RunAndWaitForCountersAsync(Vm, atLeast: 2);
        var audit = await Db.AuditMarkAsync();
        var qemu = QemuPid(Vm);
        var filler = Path.Combine(Small, "filler");

        Signal("STOP", qemu);
        try
        {
            await StartMemorySnapshotAsync("no room", domain: "portal-small");
            var volume = await WaitForMemoryVolumeAsync();
            Assert.Equal("portal-small", volume.StorageDomain!.Name);
            // The space check passed (400 MiB free for a 329 MiB estimate); now something else takes the space.
            var free = new DriveInfo(Small).AvailableFreeSpace;
            Bash("-c", $"fallocate -l {free - 4 * 1024 * 1024} '{filler}'");
        }
        finally { Signal("CONT", qemu); }

        try
        {
            var failure = (await Db.WaitForAuditAsync(audit, Vm)).First(a => a.Operation == "Create snapshot" && a.Outcome == AuditOutcome.Failure);
            Assert.Contains("no room", failure.Message);
            Assert.Contains("space", failure.Message, StringComparison.OrdinalIgnoreCase);
            await Expect(Page.GetByTestId("vm-locked-by")).ToHaveCountAsync(0, new() { Timeout = SlowMs });
            await Expect(Page.GetByTestId("vm-status")).ToHaveAttributeAsync("data-status", "Up", new() { Timeout = SlowMs });
            Assert.DoesNotContain(await Db.SnapshotsAsync(Vm), s => s.Description == "no room");
            Assert.Empty(await Db.MemoryVolumesAsync());
            Assert.Equal(["filler"], Directory.GetFiles(Small).Select(Path.GetFileName));
            // The guest was not harmed: it counts on.
            var last = (await steps.CountersAsync()).Last().Counter;
            await steps.WaitForCounterAsync(last + 2);
        }
        finally { File.Delete(filler); }
        await steps.StopAsync(Vm);
    }

    private async Task StartMemorySnapshotAsync(string description, string? domain)
    {
        await Page.GetByRole(AriaRole.Tab, new() { Name = "Snapshots" }).ClickAsync();
        await Page.GetByTestId("snapshot-create").ClickAsync();
        await Page.GetByTestId("create-snapshot-description").FillAsync(description);
        await Expect(Page.GetByTestId("create-snapshot-save-memory")).ToBeCheckedAsync();
        if (domain is not null)
        {
            await Page.GetByTestId("create-snapshot-domain").ClickAsync();
            await Page.GetByTestId($"create-snapshot-domain-{domain}").ClickAsync();
        }
        await Page.GetByTestId("create-snapshot-ok").ClickAsync();
    }

    /// <summary>The memory volume is recorded before the dump begins.</summary>
    private async Task<Portal.Core.Storage.MemoryVolume> WaitForMemoryVolumeAsync() =>
        (await Poll.UntilAsync(async () => (await Db.MemoryVolumesAsync()).SingleOrDefault(), v => v is not null, "the memory volume to be created", RealHostSteps.Slow))!;

    private static int QemuPid(string vm) =>
        int.Parse(File.ReadAllText($"/run/libvirt/qemu/{vm}.pid").Trim());

    private static void Signal(string signal, int pid) => Bash("-c", $"kill -{signal} {pid}");

    private static void Bash(string first, string arg)
    {
        var script = first == "-c" ? first : Path.Combine(RepoLayout.Root, first);
        using var p = Process.Start(new ProcessStartInfo("bash", [script, arg]) { RedirectStandardError = true })!;
        var err = p.StandardError.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0) throw new InvalidOperationException($"bash {first} {arg} failed ({p.ExitCode}): {err}");
    }
}
