using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Portal.Auth;

public static class PortalSecurityExtensions
{
    /// <summary>
    /// Sign-in throttling and auditing (<see cref="SignInGuard"/>), circuits and cookies revalidated against the
    /// database every few seconds.
    /// </summary>
    public static IServiceCollection AddPortalSecurity(this IServiceCollection services)
    {
        services.AddOptions<SecurityOptions>().BindConfiguration(SecurityOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<SignInGuard>();
        services.AddScoped<AuthenticationStateProvider, RevalidatingActorStateProvider>();
        services.Replace(ServiceDescriptor.Scoped<ISecurityStampValidator, PortalSecurityStampValidator>());
        services.AddOptions<SecurityStampValidatorOptions>().Configure<IOptions<SecurityOptions>>((o, s) => o.ValidationInterval = s.Value.RevalidationInterval);
        return services;
    }
}
