using System.Security.Claims;
using Microsoft.AspNetCore.Components.Authorization;
using Portal.Core.Auth;

namespace Portal.Auth;

/// <summary>The signed-in user as an <see cref="Actor"/>, for the commands (which check roles themselves).</summary>
public sealed class CurrentActor(AuthenticationStateProvider auth)
{
    public async Task<Actor> GetAsync()
    {
        var state = await auth.GetAuthenticationStateAsync();
        return From(state.User);
    }

    public static Actor From(ClaimsPrincipal user) =>
        new(user.Identity?.Name ?? "anonymous", user.IsInRole(Roles.Admin), user.IsInRole(Roles.Helpdesk) || user.IsInRole(Roles.Admin));
}
