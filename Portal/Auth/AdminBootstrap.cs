using System.Security.Cryptography;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Options;
using Portal.Core;
using Portal.Core.Auth;

namespace Portal.Auth;

/// <summary>On the first start with no users: the roles, and an admin whose password comes from configuration or is printed once.</summary>
internal static class AdminBootstrap
{
    public static async Task EnsureAdminAsync(IServiceProvider root)
    {
        using var scope = root.CreateScope();
        var sp = scope.ServiceProvider;
        var roles = sp.GetRequiredService<RoleManager<IdentityRole>>();
        foreach (var role in Roles.All)
            if (!await roles.RoleExistsAsync(role)) await roles.CreateAsync(new IdentityRole(role));

        var users = sp.GetRequiredService<UserManager<PortalUser>>();
        if (users.Users.Any()) return;
        var options = sp.GetRequiredService<IOptions<PortalOptions>>().Value;
        var generated = string.IsNullOrEmpty(options.AdminPassword);
        var password = generated ? GeneratePassword() : options.AdminPassword!;
        var admin = new PortalUser { UserName = options.AdminUser, EmailConfirmed = true };
        var created = await users.CreateAsync(admin, password);
        if (!created.Succeeded)
            throw new PortalStartupException("The first admin could not be created: " + string.Join(" ", created.Errors.Select(e => e.Description)));
        await users.AddToRoleAsync(admin, Roles.Admin);
        if (generated)
        {
            Console.WriteLine("==================================================================");
            Console.WriteLine($" First start: created user '{options.AdminUser}' with password: {password}");
            Console.WriteLine(" It is shown only this once. Set Portal__AdminPassword to choose it.");
            Console.WriteLine("==================================================================");
        }
    }

    private static string GeneratePassword()
    {
        const string alphabet = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
        return string.Create(16, 0, (span, _) =>
        {
            for (var i = 0; i < span.Length; i++) span[i] = alphabet[RandomNumberGenerator.GetInt32(alphabet.Length)];
        });
    }
}
