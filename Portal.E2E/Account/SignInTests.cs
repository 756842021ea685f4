using Portal.Core.Snapshots;
using Portal.E2E.Infrastructure;
using Portal.E2E.Pages;

namespace Portal.E2E.Account;

[Collection(SharedPortalCollection.Name)]
public sealed class SignInTests(PortalFixture portal) : PortalTest(portal)
{
    [Fact]
    public async Task SignIn_Admin_LandsOnVmsWithDemoVmsAndStatuses()
    {
        var login = new LoginPage(Page);
        await Page.GotoAsync(LoginPage.Path);
        await Expect(login.Heading).ToBeVisibleAsync();

        await login.SubmitAsync(Portal.AdminUser, Portal.AdminPassword);

        await Expect(Page).ToHaveURLAsync(VmsUrl());
        var shell = new PortalShell(Page);
        await shell.WaitInteractiveAsync();
        await Expect(shell.CurrentUser).ToContainTextAsync("admin · Admin");
        var vms = new VmsPage(Page);
        await Expect(vms.Rows).ToHaveCountAsync(DemoVms.All.Count);
        foreach (var (name, status, cluster) in DemoVms.All)
        {
            await Expect(vms.Link(name)).ToBeVisibleAsync();
            await vms.ExpectStatusAsync(name, status);
            await Expect(vms.Row(name)).ToContainTextAsync(cluster);
        }
        await Expect(vms.StatelessMark(DemoVms.KioskStateless)).ToBeVisibleAsync();

        var health = await Portal.Process.HealthAsync(TestContext.Current.CancellationToken);
        Assert.Equal((200, "healthy", "up", "up"), (health.HttpStatus, health.Status, health.Database, health.Libvirt));
        foreach (var (name, status, _) in DemoVms.All)
        {
            Assert.Equal(status, (await Db.VmAsync(name)).Status.ToString());
            var current = Assert.Single(await Db.SnapshotsAsync(name));
            Assert.Equal((SnapshotType.Active, false), (current.Type, current.HasMemory));
        }
    }

    [Fact]
    public async Task SignIn_WrongPassword_ShowsClearMessageAndCountsTheFailure()
    {
        var mark = await Db.AuditMarkAsync();
        var login = new LoginPage(Page);
        await Page.GotoAsync(LoginPage.Path);

        await login.SubmitAsync(Portal.AdminUser, "not-the-password");

        await Expect(login.Error).ToHaveTextAsync("The user name or password is wrong. After 5 failed attempts, wait a minute before trying again.");
        await Expect(login.Error).ToHaveAttributeAsync("role", "alert");
        await Expect(login.UserName).ToBeVisibleAsync();
        // Counted for this address (in memory, not on the account, which someone elsewhere may be using) and audited.
        Assert.Contains(await Db.AuditAsync(mark), a => a.Operation == "Sign in" && a.Message.StartsWith($"User {Portal.AdminUser} failed to sign in from 127.0.0.1 (web): wrong password"));
        // Still signed out: the VMs page sends the browser back to the form.
        await Page.GotoAsync(VmsPage.Path);
        await Expect(login.Heading).ToBeVisibleAsync();
    }

    [Fact]
    public async Task SignIn_UnknownUser_ShowsTheSameMessageAsAWrongPassword()
    {
        var login = new LoginPage(Page);
        await Page.GotoAsync(LoginPage.Path);

        await login.SubmitAsync("nobody-here", "whatever-password");

        // The same words as for a wrong password: the form does not tell which user names exist.
        await Expect(login.Error).ToHaveTextAsync("The user name or password is wrong. After 5 failed attempts, wait a minute before trying again.");
    }

    [Fact]
    public async Task Vms_Unauthenticated_RedirectsToLoginAndBackAfterSignIn()
    {
        using var response = await Portal.Process.Http.GetAsync(VmsPage.Path, TestContext.Current.CancellationToken);
        Assert.Equal(System.Net.HttpStatusCode.Redirect, response.StatusCode);
        Assert.Equal(LoginPage.Path, new Uri(Portal.BaseUrl, response.Headers.Location!).AbsolutePath);

        await Page.GotoAsync(VmsPage.Path);

        var login = new LoginPage(Page);
        await Expect(Page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex(@"/account/login\?returnUrl=%2Fvms$", System.Text.RegularExpressions.RegexOptions.IgnoreCase));
        await Expect(login.Heading).ToBeVisibleAsync();
        await Expect(new VmsPage(Page).Grid).ToHaveCountAsync(0);

        await login.SubmitAsync(Portal.AdminUser, Portal.AdminPassword);

        await Expect(Page).ToHaveURLAsync(VmsUrl());
        await Expect(new VmsPage(Page).Heading).ToBeVisibleAsync();
        await Expect(new VmsPage(Page).Grid).ToBeVisibleAsync();
    }
}
