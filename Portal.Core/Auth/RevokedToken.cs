namespace Portal.Core.Auth;

/// <summary>
/// A bearer token revoked before it expired (oVirt's <c>sso-logout</c>). Tokens are stateless (data-protected), so
/// revoking one is remembered here, by the SHA-256 of the token, until the token would have expired anyway.
/// </summary>
public class RevokedToken
{
    /// <summary>Lower-case hex SHA-256 of the token text: the token itself is never stored.</summary>
    public required string TokenHash { get; set; }

    /// <summary>When the token would have expired; the row can go after that.</summary>
    public DateTime ExpiresAt { get; set; }

    public DateTime RevokedAt { get; set; }
}
