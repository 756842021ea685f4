using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Portal.Core.Audit;
using Portal.Core.Auth;
using Portal.Core.Commands;
using Portal.Core.Persistence;
using Portal.Tests.Api;
using Portal.Users;

namespace Portal.Tests.Users;

/// <summary>
/// User management against the real portal (its Identity registration, its SQLite file): a fresh app per test with
/// the first admin "admin", the Helpdesk user "helen" and the role-less "norole". The checks are the ones a user
/// would make: can the new user sign in, with which role.
/// </summary>
public sealed class UserAdministrationTests : IAsyncLifetime
{
    private const string GoodPassword = "Bobs-pass-2026";
    private static readonly Actor Admin = Actor.Admin("admin");
    private static readonly Actor Helen = Actor.Helpdesk(PortalApiFactory.HelpdeskUser);

    private readonly PortalApiFactory _app = new();

    public ValueTask InitializeAsync() => _app.InitializeAsync();

    public ValueTask DisposeAsync() => _app.DisposeAsync();

    private UserAdministration Users => _app.Services.GetRequiredService<UserAdministration>();

    [Fact]
    public async Task CreateUser_AdminCreatesHelpdesk_NewUserSignsInAsHelpdesk()
    {
        var result = await Users.CreateUserAsync(Admin, "  bob ", GoodPassword, Roles.Helpdesk, Ct);

        Assert.True(result.Succeeded, result.Message);
        Assert.Equal("Created user 'bob' with the role Helpdesk.", result.Message);
        Assert.True((await SignInAsync("bob", GoodPassword)).Succeeded);
        Assert.Equal([Roles.Helpdesk], await RolesOfAsync("bob"));
    }

    [Fact]
    public async Task CreateUser_WeakPassword_InvalidWithIdentitysReasonAndNoUser()
    {
        var result = await Users.CreateUserAsync(Admin, "bob", "short", Roles.Helpdesk, Ct);

        Assert.Equal(ResultKind.Invalid, result.Kind);
        Assert.Contains("Passwords must be at least 8 characters.", result.Message);
        Assert.Contains("Passwords must have at least one digit ('0'-'9').", result.Message);
        Assert.False(await ExistsAsync("bob"));
    }

    [Theory]
    [InlineData("", "Enter a user name.")]
    [InlineData("bob@internal", "A user name may contain only letters, digits, '.', '_' and '-', and must start with a letter or digit.")]
    [InlineData("bob smith", "A user name may contain only letters, digits, '.', '_' and '-', and must start with a letter or digit.")]
    [InlineData("-bob", "A user name may contain only letters, digits, '.', '_' and '-', and must start with a letter or digit.")]
    public async Task CreateUser_BadName_InvalidWithReason(string name, string reason)
    {
        var result = await Users.CreateUserAsync(Admin, name, GoodPassword, Roles.Helpdesk, Ct);

        Assert.Equal(ResultKind.Invalid, result.Kind);
        Assert.Equal(reason, result.Message);
    }

    [Fact]
    public async Task CreateUser_NameTakenInOtherCase_ConflictAndExistingUserUntouched()
    {
        var result = await Users.CreateUserAsync(Admin, "HELEN", GoodPassword, Roles.Admin, Ct);

        Assert.Equal(ResultKind.Conflict, result.Kind);
        Assert.Equal("A user named 'helen' already exists.", result.Message);
        Assert.True((await SignInAsync(PortalApiFactory.HelpdeskUser, PortalApiFactory.HelpdeskPassword)).Succeeded);
        Assert.Equal([Roles.Helpdesk], await RolesOfAsync(PortalApiFactory.HelpdeskUser));
    }

    [Fact]
    public async Task CreateUser_UnknownRole_InvalidAndNoUser()
    {
        var result = await Users.CreateUserAsync(Admin, "bob", GoodPassword, "Root", Ct);

        Assert.Equal(ResultKind.Invalid, result.Kind);
        Assert.Equal("Unknown role 'Root'. A user is either Admin or Helpdesk.", result.Message);
        Assert.False(await ExistsAsync("bob"));
    }

    [Fact]
    public async Task CreateUser_HelpdeskActor_ForbiddenAndNoUser()
    {
        var result = await Users.CreateUserAsync(Helen, "bob", GoodPassword, Roles.Admin, Ct);

        Assert.Equal(ResultKind.Forbidden, result.Kind);
        Assert.Equal("Only administrators can manage users; helen is Helpdesk.", result.Message);
        Assert.False(await ExistsAsync("bob"));
    }

    [Fact]
    public async Task EveryOperation_HelpdeskActor_Forbidden()
    {
        var results = new[]
        {
            await Users.ListUsersPageAsync(Helen, new UserGridQuery(0, 25), Ct),
            await Users.SetRoleAsync(Helen, PortalApiFactory.HelpdeskUser, Roles.Admin, Ct),
            await Users.ResetPasswordAsync(Helen, "admin", GoodPassword, Ct),
            await Users.UnlockUserAsync(Helen, "admin", Ct),
            await Users.DeleteUserAsync(Helen, "admin", Ct),
        };

        Assert.All(results, r => Assert.Equal(ResultKind.Forbidden, r.Kind));
        Assert.Equal([Roles.Helpdesk], await RolesOfAsync(PortalApiFactory.HelpdeskUser));
        Assert.True((await SignInAsync("admin", PortalApiFactory.AdminPassword)).Succeeded);
    }

    [Fact]
    public async Task AnyOperation_AdminClaimsButDemotedSince_Forbidden()
    {
        // A page opened while "ann" was an Admin still carries her Admin claims after she is demoted.
        await CreateAsync("ann", Roles.Admin);
        Assert.True((await Users.SetRoleAsync(Admin, "ann", Roles.Helpdesk, Ct)).Succeeded);

        var result = await Users.CreateUserAsync(Actor.Admin("ann"), "bob", GoodPassword, Roles.Admin, Ct);

        Assert.Equal(ResultKind.Forbidden, result.Kind);
        Assert.Equal("Only administrators can manage users; ann is no longer an Admin.", result.Message);
        Assert.False(await ExistsAsync("bob"));
    }

    [Fact]
    public async Task ListUsersPage_SearchSortAndPage_RunInTheDatabase()
    {
        // user00…user11: every third an Admin, the rest Helpdesk; with admin, helen and norole, 15 users.
        for (var i = 0; i < 12; i++)
            Assert.True((await Users.CreateUserAsync(Admin, $"user{i:00}", GoodPassword, i % 3 == 0 ? Roles.Admin : Roles.Helpdesk, Ct)).Succeeded);

        var first = await PageAsync(new UserGridQuery(0, 5));
        Assert.Equal(15, first.Total);
        Assert.Equal(["admin", "helen", "norole", "user00", "user01"], first.Items.Select(u => u.UserName));
        Assert.Equal(["user07", "user08", "user09", "user10", "user11"], (await PageAsync(new UserGridQuery(2, 5))).Items.Select(u => u.UserName));
        Assert.Equal(["user11", "user10"], (await PageAsync(new UserGridQuery(0, 2, Descending: true))).Items.Select(u => u.UserName));

        var search = await PageAsync(new UserGridQuery(0, 25, " User1 "));
        Assert.Equal(2, search.Total);
        Assert.Equal(["user10", "user11"], search.Items.Select(u => u.UserName));
        // The role is searched too, and sorted on: Admins first, then by name.
        Assert.Equal(9, (await PageAsync(new UserGridQuery(0, 25, "helpdesk"))).Total);
        var byRole = await PageAsync(new UserGridQuery(0, 6, "user", UserSort.Role));
        Assert.Equal(
            [("user00", Roles.Admin), ("user03", Roles.Admin), ("user06", Roles.Admin), ("user09", Roles.Admin), ("user01", Roles.Helpdesk), ("user02", Roles.Helpdesk)],
            byRole.Items.Select(u => (u.UserName, u.Role)).ToArray());
    }

    private async Task<Portal.Core.GridPage<UserRow>> PageAsync(UserGridQuery query)
    {
        var result = await Users.ListUsersPageAsync(Admin, query, Ct);
        Assert.True(result.Succeeded, result.Message);
        return result.ValueAs<Portal.Core.GridPage<UserRow>>();
    }

    [Fact]
    public async Task ListUsers_SeededUsers_EachWithItsRole()
    {
        var rows = (await PageAsync(new UserGridQuery(0, 500))).Items;

        Assert.Equal(
            [("admin", Roles.Admin), ("helen", Roles.Helpdesk), ("norole", null)],
            rows.Select(r => (r.UserName, r.Role)).ToArray());
        Assert.All(rows, r => Assert.Null(r.LockedOutUntil));
    }

    [Fact]
    public async Task SetRole_HelpdeskToAdmin_UserIsAdminOnly()
    {
        var result = await Users.SetRoleAsync(Admin, PortalApiFactory.HelpdeskUser, Roles.Admin, Ct);

        Assert.True(result.Succeeded, result.Message);
        Assert.Equal("Changed the role of 'helen' from Helpdesk to Admin.", result.Message);
        Assert.True(await IsInRoleAsync(PortalApiFactory.HelpdeskUser, Roles.Admin));
        Assert.False(await IsInRoleAsync(PortalApiFactory.HelpdeskUser, Roles.Helpdesk));
    }

    [Fact]
    public async Task SetRole_LastAdminDemotesThemself_ConflictAndStillAdmin()
    {
        var result = await Users.SetRoleAsync(Admin, "admin", Roles.Helpdesk, Ct);

        Assert.Equal(ResultKind.Conflict, result.Kind);
        Assert.Equal("'admin' is the last Admin. Make another user an Admin before you demote 'admin'.", result.Message);
        Assert.True(await IsInRoleAsync("admin", Roles.Admin));
    }

    [Fact]
    public async Task SetRole_AnotherAdminExists_DemotionTakesEffect()
    {
        await CreateAsync("ann", Roles.Admin);

        var result = await Users.SetRoleAsync(Admin, "admin", Roles.Helpdesk, Ct);

        Assert.True(result.Succeeded, result.Message);
        Assert.Equal([Roles.Helpdesk], await RolesOfAsync("admin"));
    }

    [Fact]
    public async Task SetRole_UnknownUser_NotFound()
    {
        var result = await Users.SetRoleAsync(Admin, "nobody", Roles.Admin, Ct);

        Assert.Equal(ResultKind.NotFound, result.Kind);
        Assert.Equal("There is no user named 'nobody' (it may have been deleted).", result.Message);
    }

    [Fact]
    public async Task DeleteUser_Helpdesk_UserGoneAndCannotSignIn()
    {
        var result = await Users.DeleteUserAsync(Admin, PortalApiFactory.HelpdeskUser, Ct);

        Assert.True(result.Succeeded, result.Message);
        Assert.False(await ExistsAsync(PortalApiFactory.HelpdeskUser));
    }

    [Fact]
    public async Task DeleteUser_Themself_ConflictAndStillThere()
    {
        // "ann" is not the last Admin, so only the self-delete rule can refuse.
        await CreateAsync("ann", Roles.Admin);

        var result = await Users.DeleteUserAsync(Actor.Admin("ann"), "ANN", Ct);

        Assert.Equal(ResultKind.Conflict, result.Kind);
        Assert.Equal("You cannot delete your own account; ask another Admin to do it.", result.Message);
        Assert.True(await ExistsAsync("ann"));
    }

    [Fact]
    public async Task DeleteUser_AnotherAdmin_Deleted()
    {
        await CreateAsync("ann", Roles.Admin);

        var result = await Users.DeleteUserAsync(Admin, "ann", Ct);

        Assert.True(result.Succeeded, result.Message);
        Assert.False(await ExistsAsync("ann"));
    }

    [Fact]
    public async Task ResetPassword_NewPassword_OldOneFailsNewOneSignsIn()
    {
        const string newPassword = "Helens-new-2026";

        var result = await Users.ResetPasswordAsync(Admin, PortalApiFactory.HelpdeskUser, newPassword, Ct);

        Assert.True(result.Succeeded, result.Message);
        Assert.False((await SignInAsync(PortalApiFactory.HelpdeskUser, PortalApiFactory.HelpdeskPassword)).Succeeded);
        Assert.True((await SignInAsync(PortalApiFactory.HelpdeskUser, newPassword)).Succeeded);
    }

    [Fact]
    public async Task ResetPassword_WeakPassword_InvalidAndOldPasswordStillWorks()
    {
        var result = await Users.ResetPasswordAsync(Admin, PortalApiFactory.HelpdeskUser, "alllowercase", Ct);

        Assert.Equal(ResultKind.Invalid, result.Kind);
        Assert.Equal("Passwords must have at least one digit ('0'-'9'). Passwords must have at least one uppercase ('A'-'Z').", result.Message);
        Assert.True((await SignInAsync(PortalApiFactory.HelpdeskUser, PortalApiFactory.HelpdeskPassword)).Succeeded);
    }

    [Fact]
    public async Task UnlockUser_LockedOutByWrongPasswords_ListedAsLockedThenSignsInAgain()
    {
        for (var i = 0; i < 5; i++) await SignInAsync(PortalApiFactory.HelpdeskUser, "wrong-password");
        Assert.True((await SignInAsync(PortalApiFactory.HelpdeskUser, PortalApiFactory.HelpdeskPassword)).IsLockedOut);
        var listed = (await PageAsync(new UserGridQuery(0, 500))).Items.Single(u => u.UserName == PortalApiFactory.HelpdeskUser);
        Assert.True(listed.IsLockedOut);

        var result = await Users.UnlockUserAsync(Admin, PortalApiFactory.HelpdeskUser, Ct);

        Assert.True(result.Succeeded, result.Message);
        Assert.Equal("Unlocked 'helen'.", result.Message);
        Assert.True((await SignInAsync(PortalApiFactory.HelpdeskUser, PortalApiFactory.HelpdeskPassword)).Succeeded);
    }

    [Fact]
    public async Task Audit_SuccessRefusalAndForbidden_EachWrittenAsManageUsersByTheActor()
    {
        await Users.CreateUserAsync(Admin, "bob", GoodPassword, Roles.Helpdesk, Ct);
        await Users.CreateUserAsync(Admin, "carl", "weak", Roles.Helpdesk, Ct);
        await Users.DeleteUserAsync(Helen, "bob", Ct);

        var entries = await AuditAsync();

        Assert.Equal(
            [
                ("admin", AuditOutcome.Success, "Created user 'bob' with the role Helpdesk."),
                ("admin", AuditOutcome.Failure, "Could not create user 'carl': Passwords must be at least 8 characters. Passwords must have at least one digit ('0'-'9'). Passwords must have at least one uppercase ('A'-'Z')."),
                ("helen", AuditOutcome.Failure, "Could not delete user 'bob': Only administrators can manage users; helen is Helpdesk."),
            ],
            entries.Select(e => (e.User, e.Outcome, e.Message)).ToArray());
        Assert.DoesNotContain(entries, e => e.Message.Contains(GoodPassword) || e.Message.Contains("weak"));
    }

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private async Task CreateAsync(string name, string role)
    {
        var result = await Users.CreateUserAsync(Admin, name, GoodPassword, role, Ct);
        Assert.True(result.Succeeded, result.Message);
    }

    private async Task<T> WithIdentityAsync<T>(Func<UserManager<PortalUser>, SignInManager<PortalUser>, Task<T>> use)
    {
        await using var scope = _app.Services.CreateAsyncScope();
        return await use(scope.ServiceProvider.GetRequiredService<UserManager<PortalUser>>(), scope.ServiceProvider.GetRequiredService<SignInManager<PortalUser>>());
    }

    /// <summary>The password check the login form and the API make; wrong passwords count toward lockout.</summary>
    private Task<SignInResult> SignInAsync(string name, string password) => WithIdentityAsync(async (users, signIn) =>
        await users.FindByNameAsync(name) is { } user ? await signIn.CheckPasswordSignInAsync(user, password, lockoutOnFailure: true) : SignInResult.Failed);

    private Task<bool> ExistsAsync(string name) => WithIdentityAsync(async (users, _) => await users.FindByNameAsync(name) is not null);

    private Task<bool> IsInRoleAsync(string name, string role) =>
        WithIdentityAsync(async (users, _) => await users.IsInRoleAsync((await users.FindByNameAsync(name))!, role));

    private Task<string[]> RolesOfAsync(string name) =>
        WithIdentityAsync(async (users, _) => (await users.GetRolesAsync((await users.FindByNameAsync(name))!)).Order().ToArray());

    private async Task<List<AuditEntry>> AuditAsync()
    {
        await using var db = await _app.Services.GetRequiredService<IDbContextFactory<PortalDbContext>>().CreateDbContextAsync(Ct);
        return await db.AuditEntries.Where(e => e.Operation == UserAdministration.Operation).OrderBy(e => e.Id).ToListAsync(Ct);
    }
}
