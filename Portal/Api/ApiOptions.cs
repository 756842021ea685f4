using System.ComponentModel.DataAnnotations;

namespace Portal.Api;

/// <summary>The "Api" configuration section: limits of the REST API and its tokens.</summary>
public sealed class ApiOptions
{
    public const string Section = "Api";

    /// <summary>The largest request body the API reads; a larger one gets 413 with a fault.</summary>
    /// <remarks>Default: 1 MiB (1048576). Environment: <c>Api__MaxRequestBodyBytes</c>.</remarks>
    [Range(1024, 64 * 1024 * 1024)]
    public long MaxRequestBodyBytes { get; set; } = 1024 * 1024;

    /// <summary>How long a bearer token from <c>/ovirt-engine/sso/oauth/token</c> is valid.</summary>
    /// <remarks>Default: 1 hour. Environment: <c>Api__TokenLifetime</c> (e.g. <c>00:30:00</c>).</remarks>
    [Range(typeof(TimeSpan), "00:01:00", "7.00:00:00")]
    public TimeSpan TokenLifetime { get; set; } = TimeSpan.FromHours(1);

    /// <summary>
    /// The portal's address as clients reach it (e.g. <c>https://portal.example.com</c>), named in the OpenAPI
    /// document's <c>servers</c>. Unset: the document names the server relatively (<c>/</c>); it never repeats the
    /// request's Host header.
    /// </summary>
    /// <remarks>Environment: <c>Api__PublicUrl</c>.</remarks>
    [Url]
    public string? PublicUrl { get; set; }
}
