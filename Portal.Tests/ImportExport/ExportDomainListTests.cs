using Microsoft.EntityFrameworkCore;
using Portal.Core.Hosts;
using Portal.Core.ImportExport;
using Portal.Core.Storage;
using Portal.Tests.Support;

namespace Portal.Tests.ImportExport;

/// <summary>
/// An export domain's list: by name, each VM's counts, and what is on disk now, although an OVF is parsed again only
/// when its file changed.
/// </summary>
public sealed class ExportDomainListTests : PortalTest
{
    [Fact]
    public async Task List_ExportedVms_ByNameWithTheirCounts()
    {
        var (store, domain) = await ExportDomainAsync();
        var zeta = await WriteAsync(store, domain, "zeta", snapshots: 3, withMemory: 1);
        var alpha = await WriteAsync(store, domain, "Alpha", snapshots: 1, withMemory: 0);
        var mid = await WriteAsync(store, domain, "mid", snapshots: 2, withMemory: 2);

        var listed = await store.ListAsync(domain, Ct);

        Assert.Equal(["Alpha", "mid", "zeta"], listed.Select(e => e.Name));
        Assert.Equal([alpha.Id, mid.Id, zeta.Id], listed.Select(e => e.VmId));
        Assert.Equal([1, 2, 3], listed.Select(e => e.Snapshots));
        Assert.Equal([0, 2, 1], listed.Select(e => e.WithMemory));
        Assert.Equal(zeta.ExportedAt, listed[2].ExportedAt);
        Assert.All(listed, e => Assert.Null(e.Error));
    }

    [Fact]
    public async Task List_AfterOverwriteRemovalAndAnEditOnDisk_ShowsWhatIsThereNow()
    {
        var (store, domain) = await ExportDomainAsync();
        var a = await WriteAsync(store, domain, "a", snapshots: 1, withMemory: 0);
        var b = await WriteAsync(store, domain, "b", snapshots: 1, withMemory: 0);
        var c = await WriteAsync(store, domain, "c", snapshots: 1, withMemory: 0);
        Assert.Equal(3, (await store.ListAsync(domain, Ct)).Count);

        // Exported again with more snapshots, removed, and spoiled by hand behind the portal's back.
        await store.WriteAsync(domain, Vm(a.Id, "a", snapshots: 4, withMemory: 1), Ct);
        await store.DeleteAsync(domain, b.Id, Ct);
        var file = await OvfPathAsync(domain, c.Id);
        await File.WriteAllTextAsync(file, "<not-an-ovf", Ct);

        var listed = await store.ListAsync(domain, Ct);

        Assert.Equal([a.Id, c.Id], listed.Select(e => e.VmId));
        Assert.Equal((4, 1), (listed[0].Snapshots, listed[0].WithMemory));
        Assert.Null(listed[1].Name);
        Assert.Contains("not well-formed", listed[1].Error);

        // Mended by hand: listed again as it is.
        await store.WriteAsync(domain, Vm(c.Id, "c-mended", snapshots: 2, withMemory: 0), Ct);
        var mended = (await store.ListAsync(domain, Ct)).Single(e => e.VmId == c.Id);
        Assert.Equal(("c-mended", 2, (string?)null), (mended.Name, mended.Snapshots, mended.Error));
    }

    [Fact]
    public async Task List_FileReplacedOutsideThePortal_IsReadAgain()
    {
        var (store, domain) = await ExportDomainAsync();
        var vm = await WriteAsync(store, domain, "before", snapshots: 1, withMemory: 0);
        Assert.Equal("before", (await store.ListAsync(domain, Ct)).Single().Name);

        // Another portal (or an administrator's copy) writes the file: this store's own writes are not involved.
        var other = new ExportDomainStore(Portal.Hypervisor);
        await other.WriteAsync(domain, Vm(vm.Id, "after and longer", snapshots: 3, withMemory: 0), Ct);

        var listed = (await store.ListAsync(domain, Ct)).Single();
        Assert.Equal(("after and longer", 3), (listed.Name, listed.Snapshots));
    }

    [Fact]
    public async Task List_AnOvfForAnotherVmsFolder_ListedWithTheReason()
    {
        var (store, domain) = await ExportDomainAsync();
        var vm = await WriteAsync(store, domain, "moved", snapshots: 1, withMemory: 0);
        var stray = Guid.NewGuid();
        var dir = Path.Combine(Path.GetDirectoryName(Path.GetDirectoryName(await OvfPathAsync(domain, vm.Id))!)!, stray.ToString());
        Directory.CreateDirectory(dir);
        File.Copy(await OvfPathAsync(domain, vm.Id), Path.Combine(dir, $"{stray}.ovf"));

        var listed = await store.ListAsync(domain, Ct);

        Assert.Equal([vm.Id, stray], listed.Select(e => e.VmId));
        Assert.Equal(stray.ToString(), listed[1].Title);
        Assert.Equal($"The OVF in folder {stray} describes VM {vm.Id}.", listed[1].Error);
    }

    [Fact]
    public async Task List_AnOvfThatCannotBeOpened_ListedWithTheReasonAndTriedAgainOnceItCanBe()
    {
        var (store, domain) = await ExportDomainAsync();
        var vm = await WriteAsync(store, domain, "looped", snapshots: 1, withMemory: 0);
        var file = await OvfPathAsync(domain, vm.Id);
        var kept = file + ".kept";
        File.Move(file, kept);
        // A link to itself: there, but no one (root included) can open it.
        File.CreateSymbolicLink(file, file);

        var listed = (await store.ListAsync(domain, Ct)).Single();
        Assert.Equal((vm.Id, (string?)null), (listed.VmId, listed.Name));
        Assert.StartsWith("The OVF cannot be read: ", listed.Error);

        File.Delete(file);
        File.Move(kept, file);
        Assert.Equal("looped", (await store.ListAsync(domain, Ct)).Single().Name);
    }

    private async Task<(ExportDomainStore Store, StorageDomain Domain)> ExportDomainAsync()
    {
        await using var db = await Portal.DbAsync();
        return (Portal.Get<ExportDomainStore>(), await db.StorageDomains.SingleAsync(d => d.PoolName == DemoNode.ExportPool, Ct));
    }

    private async Task<string> OvfPathAsync(StorageDomain domain, Guid vmId)
    {
        var pool = await Portal.Hypervisor.GetPoolAsync(domain.PoolName, Ct);
        return Path.Combine(pool.TargetPath!, "master", "vms", vmId.ToString(), $"{vmId}.ovf");
    }

    private async Task<OvfVm> WriteAsync(ExportDomainStore store, StorageDomain domain, string name, int snapshots, int withMemory)
    {
        var vm = Vm(Guid.NewGuid(), name, snapshots, withMemory);
        await store.WriteAsync(domain, vm, Ct);
        return vm;
    }

    /// <summary>A VM with a chain of snapshots, the last one Active; the first <paramref name="withMemory"/> keep memory.</summary>
    private static OvfVm Vm(Guid id, string name, int snapshots, int withMemory) =>
        ExportedVms.Chain(name, new DateTime(2026, 12, 6, 8, 0, 0, DateTimeKind.Utc).AddHours(name.Length), snapshots, withMemory) with { Id = id };
}
