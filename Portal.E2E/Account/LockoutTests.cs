using Portal.E2E.Infrastructure;
using Portal.E2E.Pages;

namespace Portal.E2E.Account;

/// <summary>Its own portal: the admin stays locked out for a minute afterwards.</summary>
public sealed class LockoutTests(PortalFixture portal) : PortalTest(portal), IClassFixture<PortalFixture>
{
    private const string Locked = "Too many failed attempts: this account is locked for a minute. Try again later.";

    [Fact]
    public async Task SignIn_FiveWrongPasswords_LocksTheAccountEvenForTheRightPassword()
    {
        var login = new LoginPage(Page);
        await Page.GotoAsync(LoginPage.Path);
        for (var attempt = 1; attempt <= 4; attempt++)
        {
            await login.SubmitAsync(Portal.AdminUser, $"wrong-password-{attempt}");
            await Expect(login.Error).ToHaveTextAsync("The user name or password is wrong.");
        }

        await login.SubmitAsync(Portal.AdminUser, "wrong-password-5");
        await Expect(login.Error).ToHaveTextAsync(Locked);

        await login.SubmitAsync(Portal.AdminUser, Portal.AdminPassword);
        await Expect(login.Error).ToHaveTextAsync(Locked);
        await Expect(Page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex(@"/account/login\?error=locked"));

        var admin = await Db.UserAsync(Portal.AdminUser);
        Assert.NotNull(admin.LockoutEnd);
        var left = admin.LockoutEnd!.Value - DateTimeOffset.UtcNow;
        Assert.InRange(left, TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(1));
    }
}
