using Microsoft.EntityFrameworkCore;
using Portal.Core.Hosts;
using Portal.E2E.Infrastructure;
using Portal.E2E.Pages;

namespace Portal.E2E.Hosts;

/// <summary>Adds and removes a second host, so it has a portal of its own.</summary>
public sealed class HostsPageTests(PortalFixture portal) : PortalTest(portal), IClassFixture<PortalFixture>
{
    private const string Second = "second";

    [Fact]
    public async Task AddSecondTestHost_ItsVmsJoinTheVmsPage_AndRemovingItTakesThemOutAgain()
    {
        // Another libvirt test-driver host beside the embedded one: its own node file, its own VMs.
        var uri = DemoNode.WriteNode(Path.Combine(Portal.Process.DataDirectory, "second-host", "node.xml"),
        [
            new("alpha-web", Guid.Parse("0e7d0c1a-2b3c-4d5e-8f90-a1b2c3d40001"), 512, Running: true),
            new("alpha-batch", Guid.Parse("0e7d0c1a-2b3c-4d5e-8f90-a1b2c3d40002"), 256, Running: false),
        ]);
        await SignInAsync();
        var shell = new PortalShell(Page);
        await shell.Navigation.GetByRole(AriaRole.Link, new() { Name = "Hosts", Exact = true }).ClickAsync();
        var hosts = new HostsPage(Page);
        await Expect(hosts.Heading).ToBeVisibleAsync();
        await hosts.ExpectStateAsync("embedded-test-host", "Connected");

        await hosts.AddButton.ClickAsync();
        var dialog = new AddHostDialog(Page);
        await dialog.Name.FillAsync(Second);
        await dialog.Uri.FillAsync(uri);
        await dialog.Save.ClickAsync();

        await Expect(dialog.Dialog).ToBeHiddenAsync();
        await hosts.ExpectStateAsync(Second, "Connected");
        await Expect(hosts.VmCount(Second)).ToHaveTextAsync("2");
        await Expect(hosts.RunningCount(Second)).ToHaveTextAsync("1");
        Guid hostId;
        await using (var db = Db.Open())
            hostId = (await db.Hosts.SingleAsync(h => h.Name == Second, TestContext.Current.CancellationToken)).Id;

        var vms = await OpenVmsAsync();
        await Expect(vms.Row("alpha-web").GetByRole(AriaRole.Cell, new() { Name = Second, Exact = true })).ToBeVisibleAsync();
        await vms.ExpectStatusAsync("alpha-web", "Up");
        await vms.ExpectStatusAsync("alpha-batch", "Down");
        Assert.Equal(hostId, (await Db.VmAsync("alpha-web")).HostId);
        // A command from the VMs page reaches the second host.
        await vms.StopButton("alpha-web").ClickAsync();
        await vms.ExpectStatusAsync("alpha-web", "Down");

        await Page.GotoAsync(HostsPage.Path);
        await shell.WaitInteractiveAsync();
        await hosts.RemoveButton(Second).ClickAsync();
        var confirm = new ConfirmDialog(Page, "Remove host");
        await Expect(confirm.Message).ToContainTextAsync("Its 2 VM(s) leave the portal's inventory");
        await Expect(confirm.Message).ToContainTextAsync("Nothing changes on the host");
        await confirm.ConfirmAsync();

        await Expect(hosts.Row(Second)).ToHaveCountAsync(0);
        await Expect(shell.Snackbar.Filter(new() { HasText = $"Host {Second} (" })).ToContainTextAsync("their domains stay defined on the host");
        await using (var db = Db.Open())
        {
            Assert.False(await db.Hosts.AnyAsync(h => h.Id == hostId, TestContext.Current.CancellationToken));
            Assert.False(await db.Vms.AnyAsync(v => v.Name.StartsWith("alpha-"), TestContext.Current.CancellationToken));
        }
        vms = await OpenVmsAsync();
        await Expect(vms.Row("alpha-web")).ToHaveCountAsync(0);
        await Expect(vms.Row("web-frontend")).ToBeVisibleAsync();
    }
}
