using Portal.E2E.Infrastructure;
using Portal.E2E.Pages;

namespace Portal.E2E.Account;

/// <summary>Its own portal: this browser's address stays blocked for the admin for a minute afterwards.</summary>
public sealed class LockoutTests(PortalFixture portal) : PortalTest(portal), IClassFixture<PortalFixture>
{
    /// <summary>One message for a wrong password and a blocked account: the page must not tell which accounts exist.</summary>
    private const string Refused = "The user name or password is wrong. After 5 failed attempts, wait a minute before trying again.";

    [Fact]
    public async Task SignIn_FiveWrongPasswords_BlocksThisAddressEvenForTheRightPasswordWithTheSameMessage()
    {
        var login = new LoginPage(Page);
        await Page.GotoAsync(LoginPage.Path);
        for (var attempt = 1; attempt <= 5; attempt++)
        {
            await login.SubmitAsync(Portal.AdminUser, $"wrong-password-{attempt}");
            await Expect(login.Error).ToHaveTextAsync(Refused);
        }

        await login.SubmitAsync(Portal.AdminUser, Portal.AdminPassword);
        await Expect(login.Error).ToHaveTextAsync(Refused);
        await Expect(Page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex(@"/account/login\?error=invalid"));

        // The block is this address's, not the account's: the admin elsewhere still signs in.
        var admin = await Db.UserAsync(Portal.AdminUser);
        Assert.Null(admin.LockoutEnd);
    }
}
