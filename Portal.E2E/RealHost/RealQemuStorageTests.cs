using Microsoft.EntityFrameworkCore;
using Portal.Core.Audit;
using Portal.E2E.Infrastructure;
using Portal.E2E.Pages;
using static Portal.E2E.RealHost.HostCommands;

namespace Portal.E2E.RealHost;

/// <summary>
/// Storage domains the portal makes on a real host: libvirtd builds a directory pool (mkdir), starts it and marks it
/// autostart, where the embedded test driver only records it. The seed's File domain is a pool made by the host's set-up
/// script, so without this class no real host ever saw the portal make one.
/// </summary>
[Trait("Category", "RealHost")]
public sealed class RealQemuStorageTests(RealHostFixture portal) : PortalTest(portal), IClassFixture<RealHostFixture>
{
    [Fact(Timeout = RealHostSteps.TestTimeoutMs)]
    public async Task AddFileDomain_ANewDirectory_IsBuiltStartedAndRemovedWithItsPoolWhileItsDataStays()
    {
        var name = "file-" + Guid.NewGuid().ToString("N")[..8];
        var parent = Path.Combine(Path.GetTempPath(), $"portal-e2e-{Guid.NewGuid():N}");
        var dir = Path.Combine(parent, name);
        await SignInAsync();
        var steps = new RealHostSteps(Page, Db);
        try
        {
            await steps.AddFileDomainAsync(name, dir);

            Assert.True(Directory.Exists(dir), $"libvirt built {dir}");
            var info = Virsh($"pool-info {name}");
            Assert.Matches(@"State:\s+running", info);
            Assert.Matches(@"Autostart:\s+yes", info);
            Assert.Contains($"<path>{dir}</path>", Virsh($"pool-dumpxml {name}"));
            await using (var db = Db.Open())
                Assert.True((await db.StorageDomains.AsNoTracking().SingleAsync(d => d.Name == name, TestContext.Current.CancellationToken)).PoolCreatedByPortal);

            var storage = await steps.OpenStorageAsync();
            var audit = await Db.AuditMarkAsync();
            var remove = new RemoveStorageDomainDialog(Page, name);
            await DialogOpener.OpenAsync(storage.RemoveButton(name), remove.Dialog);
            await Checkbox.SetAsync(remove.RemovePool, true);
            await remove.Remove.ClickAsync();
            var entry = Assert.Single(await Db.WaitForAuditAsync(audit));
            Assert.Equal(AuditOutcome.Success, entry.Outcome);
            await Expect(storage.Row(name)).ToHaveCountAsync(0);
            Assert.DoesNotContain(name, Virsh("pool-list --all --name").Split('\n').Select(l => l.Trim()));
            Assert.True(Directory.Exists(dir), "the pool's directory (its data) stays");
        }
        finally
        {
            if (Virsh("pool-list --all --name").Split('\n').Any(l => l.Trim() == name))
            {
                Virsh($"pool-destroy {name}");
                Virsh($"pool-undefine {name}");
            }
            if (Directory.Exists(parent)) Directory.Delete(parent, recursive: true);
        }
    }
}
