using Portal.Core.Vms;
using Portal.E2E.Infrastructure;
using static Portal.E2E.RealHost.HostCommands;

namespace Portal.E2E.RealHost;

/// <summary>
/// Clone VM from snapshot, and import as clone, on a real QEMU host. The snapshot's disk image is what the source VM's later disks are
/// overlays of, so the clone must get a copy of it: defined on the image itself, the clone would write into the source's
/// backing file, and QEMU refuses to start it while the source runs ("Failed to get write lock").
/// </summary>
[Trait("Category", "RealHost")]
public sealed class RealQemuCloneTests(RealHostFixture portal) : PortalTest(portal), IClassFixture<RealHostFixture>
{
    [Fact(Timeout = RealHostSteps.TestTimeoutMs)]
    public async Task CloneFromSnapshot_RunsBesideTheSourceOnASelfContainedCopyOfTheSnapshotsDisk()
    {
        const string vm = "tiny";
        var name = "tiny-clone-" + Guid.NewGuid().ToString("N")[..6];
        await SignInAsync();
        var steps = new RealHostSteps(Page, Db);
        await steps.OpenVmAsync(vm);
        var (sourceBoot, _) = await steps.RunAndWaitForCountersAsync(vm, atLeast: 2);
        var snapshot = await steps.CreateMemorySnapshotAsync(vm, "to clone");
        var image = DomainXml.DiskFiles((await Db.SnapshotsAsync(vm)).Single(s => s.Id == snapshot).ConfigurationXml).Single();

        // Cloned while the source runs on an overlay of that image.
        var id = await steps.CloneAsync(vm, snapshot, name);

        Assert.Equal(id.ToString(), Virsh($"domuuid {name}").Trim());
        var disk = DomainXml.DiskFiles(Virsh($"dumpxml {name}")).Single();
        Assert.NotEqual(image, disk);
        Assert.StartsWith(Path.GetDirectoryName(image)!, disk);
        Assert.DoesNotContain("<backingStore", Virsh($"vol-dumpxml {disk}"));
        Assert.Contains($"/{name}.log'", Virsh($"dumpxml {name}")); // its own console log, not tiny's

        var mark = await Db.TransitionMarkAsync();
        var (cloneBoot, _) = await steps.RunAndWaitForCountersAsync(name, atLeast: 2);
        Assert.NotEqual(sourceBoot, cloneBoot);
        Assert.Equal([VmStatus.PoweringUp, VmStatus.Up], await Db.StatusSequenceAsync(name, mark));
        Assert.Equal("running", Virsh($"domstate {vm}").Trim());
        Assert.DoesNotContain(disk, Virsh($"dumpxml {vm}"));

        await steps.StopAsync(name);
        await steps.RemoveVmAsync(name);
        Virsh($"vol-delete {disk}");
        await steps.OpenVmAsync(vm);
        await steps.StopAsync(vm);
    }

    [Fact(Timeout = RealHostSteps.TestTimeoutMs)]
    public async Task ImportAsClone_WhileItsSourceRuns_RunsBesideItOnItsOwnDisk()
    {
        const string vm = "tiny";
        var name = "tiny-imported-" + Guid.NewGuid().ToString("N")[..6];
        await SignInAsync();
        var steps = new RealHostSteps(Page, Db);
        await steps.OpenVmAsync(vm);
        await steps.RunAndWaitForCountersAsync(vm, atLeast: 2);
        await steps.CreateMemorySnapshotAsync(vm, "exported with memory");
        await steps.StopAsync(vm);
        await steps.ExportAsync(vm);
        var (sourceBoot, _) = await steps.RunAndWaitForCountersAsync(vm, atLeast: 2);

        await steps.ImportAsync(vm, "portal-export", "portal-data", asCloneNamed: name);

        var xml = Virsh($"dumpxml {name}");
        Assert.DoesNotContain(DomainXml.DiskFiles(Virsh($"dumpxml {vm}")).Single(), DomainXml.DiskFiles(xml));
        Assert.Contains($"/{name}.log'", xml);
        var mark = await Db.TransitionMarkAsync();
        var (cloneBoot, _) = await steps.RunAndWaitForCountersAsync(name, atLeast: 2);
        Assert.NotEqual(sourceBoot, cloneBoot);
        Assert.Equal([VmStatus.PoweringUp, VmStatus.Up], await Db.StatusSequenceAsync(name, mark));
        Assert.Equal("running", Virsh($"domstate {vm}").Trim());

        await steps.StopAsync(name);
        await steps.RemoveVmAsync(name);
        await steps.OpenVmAsync(vm);
        await steps.StopAsync(vm);
    }
}
