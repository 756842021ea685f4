using Portal.Api.Model;
using Portal.Core.Commands;

namespace Portal.Api;

/// <summary>
/// An error reply: the status and a <c>&lt;fault&gt;&lt;reason/&gt;&lt;detail/&gt;&lt;/fault&gt;</c> body. Thrown anywhere
/// under an API endpoint, the API middleware writes it.
/// </summary>
public sealed class ApiFault(int status, string reason, string detail) : Exception(XmlSafe(detail))
{
    public int Status => status;
    public string Reason => reason;
    public string Detail => Message;

    public Fault Body => new() { Reason = reason, Detail = Message };

    /// <summary>A detail may quote the client's input, and XML 1.0 cannot carry every character: those become U+FFFD.</summary>
    private static string XmlSafe(string text)
    {
        var safe = new System.Text.StringBuilder(text.Length);
        for (var i = 0; i < text.Length; i++)
        {
            if (char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1])) safe.Append(text[i]).Append(text[++i]);
            else safe.Append(System.Xml.XmlConvert.IsXmlChar(text[i]) ? text[i] : '\uFFFD');
        }
        return safe.ToString();
    }

    public static ApiFault BadRequest(string detail) => new(StatusCodes.Status400BadRequest, "Bad Request", detail);
    public static ApiFault Incomplete(string detail) => new(StatusCodes.Status400BadRequest, "Incomplete parameters", detail);
    public static ApiFault NotFound(string detail) => new(StatusCodes.Status404NotFound, "Not Found", detail);
    public static ApiFault TooLarge(long max) =>
        new(StatusCodes.Status413PayloadTooLarge, "Payload Too Large", $"The request body is larger than the {max} bytes the API accepts.");
    public static ApiFault UnsupportedMediaType(string? contentType) =>
        new(StatusCodes.Status415UnsupportedMediaType, "Unsupported Media Type", $"The content type '{contentType}' is not accepted; send application/xml or application/json.");

    /// <summary>
    /// A refused or failed command. Validation refusals keep their kind (400 bad input, 404, 409 state conflict,
    /// 403 role); a failure while executing is oVirt's 400 "Operation Failed", since the request itself was valid
    /// and the reason is in the detail (oVirt does the same for backend failures).
    /// </summary>
    public static ApiFault From(CommandResult result)
    {
        var detail = result.Message ?? "The operation did not complete.";
        return result.Kind switch
        {
            ResultKind.Invalid => new(StatusCodes.Status400BadRequest, "Bad Request", detail),
            ResultKind.NotFound => new(StatusCodes.Status404NotFound, "Not Found", detail),
            ResultKind.Conflict => new(StatusCodes.Status409Conflict, "Operation Failed", detail),
            ResultKind.Forbidden => new(StatusCodes.Status403Forbidden, "Forbidden", detail),
            ResultKind.Failed => new(StatusCodes.Status400BadRequest, "Operation Failed", detail),
            _ => throw new ArgumentOutOfRangeException(nameof(result), result.Kind, "A successful result is not a fault."),
        };
    }

    /// <summary>The fault for a status some other layer set without a body (routing's 404 and 405).</summary>
    public static ApiFault ForStatus(int status) => status switch
    {
        404 => NotFound("There is no such resource in the API."),
        405 => new(status, "Method Not Allowed", "The resource does not accept this HTTP method."),
        401 => new(status, "Unauthorized", "Authentication is required: HTTP Basic (user@internal) or a bearer token."),
        403 => new(status, "Forbidden", "The user may not do this."),
        413 => new(status, "Payload Too Large", "The request body is too large."),
        >= 500 => new(status, "Internal Server Error", "The request could not be handled; the server log has the details."),
        _ => new(status, "Bad Request", "The request could not be handled."),
    };
}
