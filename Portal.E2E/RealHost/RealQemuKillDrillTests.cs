using System.Diagnostics;
using Microsoft.EntityFrameworkCore;
using Portal.Core.Snapshots;
using Portal.Core.Vms;
using Portal.E2E.Infrastructure;
using Portal.E2E.Reliability;
using static Portal.E2E.RealHost.HostCommands;

namespace Portal.E2E.RealHost;

/// <summary>
/// The kill drill on real QEMU (busybox guest 'tiny', whose serial console counts every second with its boot id): the
/// portal is killed with SIGKILL (its test-only crash hook) after a VM came up from its memory, and in the middle of a
/// memory dump, then started again on the same data. The guest must keep running as it was, and its memory must never
/// be restored twice. A clone killed 40 ms into its disk copy (the copy is on the host then, in three runs of three)
/// leaves no copy after recovery.
/// </summary>
[Trait("Category", "RealHost")]
public sealed class RealQemuKillDrillTests : IAsyncLifetime
{
    private const string Vm = "tiny";
    private static readonly string ConsoleLog = Path.Combine(RealHostFixture.Root, "console", "tiny.log");
    private static readonly TimeSpan Slow = RealHostSteps.Slow;
    private readonly string _data = Directory.CreateTempSubdirectory("portal-real-drill-").FullName;

    public ValueTask InitializeAsync()
    {
        RealHostFixture.ResetGuests();
        return ValueTask.CompletedTask;
    }

    public ValueTask DisposeAsync()
    {
        Directory.Delete(_data, recursive: true);
        return ValueTask.CompletedTask;
    }

    private Task<PortalProcess> StartPortalAsync(string? crashAt = null)
    {
        var o = new PortalProcessOptions { DataDirectory = _data };
        RealHostFixture.PointAtRealHost(o);
        if (crashAt is not null) o.Variables["Portal__CrashAt"] = crashAt;
        return PortalProcess.StartAsync(o);
    }

    [Fact(Timeout = RealHostSteps.TestTimeoutMs)]
    public async Task RunFromMemory_KilledAfterTheGuestResumed_TheGuestGoesOnAndTheMemoryIsNeverRestoredTwice()
    {
        string bootId;
        await using (var doomed = await StartPortalAsync(crashAt: "Run VM:resumed"))
        {
            var p = new DrillPortal(doomed);
            await p.StartAsync(Vm);
            bootId = (await WaitForCounterAsync(5)).BootId;
            var s1 = await p.SnapshotAsync(Vm, "s1");
            var taken = (await CountersAsync()).Last().Counter;
            await p.StopAsync(Vm);
            await p.PreviewAsync(Vm, s1);
            try { await p.StartAsync(Vm); }
            catch (InvalidOperationException) { /* killed before it answered */ }
            Assert.True(await doomed.WaitForExitAsync(Slow), "the portal was not killed after the guest resumed");
            // The guest came back from its memory: the same boot, counting on from the snapshot.
            var resumed = await WaitForCounterAsync(taken + 2, after: taken);
            Assert.Equal(bootId, resumed.BootId);
        }

        await using var restarted = await StartPortalAsync();
        var again = new DrillPortal(restarted);
        Assert.Empty(await again.DatabaseViolationsAsync());
        await using (var db = again.Db.Open())
        {
            var vm = await db.Vms.Include(v => v.Snapshots).SingleAsync(v => v.Name == Vm, TestContext.Current.CancellationToken);
            Assert.Null(vm.Snapshots.Single(s => s.Type == SnapshotType.Active).MemoryVolumeId); // cleared by recovery
            Assert.Equal(VmStatus.Up, vm.Status);
            Assert.Contains(await db.AuditEntries.Where(a => a.Operation == "Run VM").Select(a => a.Message).ToListAsync(TestContext.Current.CancellationToken),
                m => m.Contains("was recovered after restart: the host had done it, so it was completed"));
        }
        Assert.Equal(bootId, (await WaitForCounterAsync((await CountersAsync()).Last().Counter + 1)).BootId);

        // The next run boots fresh: the memory was used once.
        await again.StopAsync(Vm);
        var mark = (await File.ReadAllTextAsync(ConsoleLog, TestContext.Current.CancellationToken)).Length;
        await again.StartAsync(Vm);
        var fresh = await Poll.UntilAsync(async () => GuestConsole.Boots((await File.ReadAllTextAsync(ConsoleLog))[mark..]),
            b => b.Count > 0, "the guest to boot fresh", Slow);
        Assert.NotEqual(bootId, fresh[0]);
    }

    [Fact(Timeout = RealHostSteps.TestTimeoutMs)]
    public async Task CreateWithMemory_KilledDuringTheDump_TheGuestGoesOnAndTheSnapshotIsWholeOrGone()
    {
        string bootId;
        await using (var doomed = await StartPortalAsync(crashAt: "Create snapshot:dumping+60"))
        {
            var p = new DrillPortal(doomed);
            await p.StartAsync(Vm);
            bootId = (await WaitForCounterAsync(5)).BootId;
            try { await p.SnapshotAsync(Vm, "s1"); }
            catch (InvalidOperationException) { /* killed before it answered */ }
            Assert.True(await doomed.WaitForExitAsync(Slow), "the portal was not killed during the dump");
        }

        await using var restarted = await StartPortalAsync();
        var again = new DrillPortal(restarted);
        Assert.Empty(await again.DatabaseViolationsAsync());
        await using (var db = again.Db.Open())
        {
            var vm = await db.Vms.Include(v => v.Snapshots).ThenInclude(s => s.MemoryVolume).SingleAsync(v => v.Name == Vm, TestContext.Current.CancellationToken);
            Assert.Equal(VmStatus.Up, vm.Status); // never left paused by the dump
            var known = (await db.MemoryVolumes.ToListAsync(TestContext.Current.CancellationToken)).SelectMany(m => new[] { m.DumpVolumeName, m.ConfVolumeName }).ToHashSet();
            // Whole (libvirtd finished the dump: the snapshot and its memory are kept) or gone (nothing of it is left).
            if (vm.Snapshots.SingleOrDefault(s => s.Description == "s1") is { } s1)
            {
                Assert.Equal(SnapshotStatus.Ok, s1.Status);
                Assert.NotNull(s1.MemoryVolume);
                // Its volumes' paths are saved with the commit the kill came before: recovery found them on the host.
                Assert.Equal((false, true, true), (s1.MemoryVolume.IsMissingOnHost, s1.MemoryVolume.DumpPath.Length > 0, s1.MemoryVolume.ConfPath.Length > 0));
                Assert.Contains(s1.Id.ToString(), Virsh($"snapshot-list {Vm} --name"));
            }
            else Assert.DoesNotContain(Virsh($"snapshot-list {Vm} --name").Split('\n'), l => l.Trim().Length > 0);
            foreach (var volume in Virsh("vol-list portal-data").Split('\n').Select(l => l.Trim().Split(' ')[0]).Where(n => Guid.TryParse(n, out _)))
                Assert.Contains(volume, known);
            Assert.Contains(await db.AuditEntries.Where(a => a.Operation == "Create snapshot").Select(a => a.Message).ToListAsync(TestContext.Current.CancellationToken),
                m => m.Contains("was recovered after restart"));
        }
        // The guest went on all along, and a snapshot can be taken again.
        var last = (await CountersAsync()).Last();
        Assert.Equal(bootId, (await WaitForCounterAsync(last.Counter + 2)).BootId);
        await again.SnapshotAsync(Vm, "s2");
        Assert.Empty(await again.DatabaseViolationsAsync());
    }

    [Fact(Timeout = RealHostSteps.TestTimeoutMs)]
    public async Task CloneFromSnapshot_KilledDuringTheDiskCopy_NoCopyIsLeftAndTheCloneCanBeMadeAgain()
    {
        const string clone = "drill-clone";
        object Request(Guid snapshot) => new { name = clone, snapshots = new { snapshot = new[] { new { id = snapshot } } } };
        Guid snapshotId;
        await using (var doomed = await StartPortalAsync(crashAt: "Clone VM from snapshot:copying-disk+5"))
        {
            var p = new DrillPortal(doomed);
            snapshotId = await p.SnapshotAsync(Vm, "base", memory: false);
            try { await p.PostAsync("/vms", Request(snapshotId)); }
            catch (InvalidOperationException) { /* killed before it answered */ }
            Assert.True(await doomed.WaitForExitAsync(Slow), "the portal was not killed during the clone");
        }

        await using var restarted = await StartPortalAsync();
        var again = new DrillPortal(restarted);
        Assert.Empty(await again.DatabaseViolationsAsync());
        // The copy made (or begun) before the kill is deleted by recovery; no domain was defined.
        await Poll.UntilAsync(async () => await again.Db.AuditAsync(0, Vm),
            a => a.Any(e => e.Operation == "Clone VM from snapshot" && e.Message.Contains("was recovered after restart")), "the clone's recovery entry", Slow);
        Assert.Null(await again.TryVmIdAsync(clone));
        Assert.DoesNotContain(clone, Virsh("list --all --name").Split('\n').Select(l => l.Trim()));
        Assert.DoesNotContain(clone, Virsh("vol-list portal-data"));

        await again.PostAsync("/vms", Request(snapshotId));
        Assert.NotNull(await again.TryVmIdAsync(clone));
        Assert.Contains($"{clone}-vda-", Virsh("vol-list portal-data"));
        Assert.Empty(await again.DatabaseViolationsAsync());
    }

    private static async Task<IReadOnlyList<GuestLine>> CountersAsync() =>
        GuestConsole.Counters(File.Exists(ConsoleLog) ? await File.ReadAllTextAsync(ConsoleLog) : "");

    /// <summary>Waits for a COUNTER line of at least <paramref name="counter"/> (after the one numbered <paramref name="after"/>, when given).</summary>
    private static async Task<GuestLine> WaitForCounterAsync(int counter, int? after = null)
    {
        var lines = await Poll.UntilAsync(CountersAsync, l => l.Count > 0 && l[^1].Counter >= counter && (after is null || l.Any(x => x.Counter > after)),
            $"COUNTER {counter} on the guest's console", Slow);
        return lines[^1];
    }
}
