using Microsoft.OpenApi;
using Portal.Api.Model;
using Portal.Auth;
using Portal.Core.Auth;

namespace Portal.Api.Endpoints;

internal static class EndpointHelpers
{
    private static readonly string[] Formats = [OvirtFormat.Xml, OvirtFormat.Json];

    /// <summary>The caller, for the commands, which check the role themselves.</summary>
    public static Actor Actor(this HttpContext http) => CurrentActor.From(http.User);

    /// <summary>An id in the path: one that is not a GUID names nothing, so it is 404 like an unknown one.</summary>
    public static Guid PathId(string text, string what) =>
        Guid.TryParse(text, out var id) ? id : throw ApiFault.NotFound($"There is no {what} with id '{(text.Length > 40 ? text[..40] + "…" : text)}'.");

    public static RouteHandlerBuilder Returns<T>(this RouteHandlerBuilder b, int status = StatusCodes.Status200OK) =>
        b.Produces(status, typeof(T), Formats[0], Formats[1..]);

    /// <summary>
    /// Documents the body in the OpenAPI document only. Accepts metadata would make routing answer 415 by itself to
    /// any other Content-Type (curl's default form type, text/xml) before the API could read the body or write a fault.
    /// </summary>
    public static RouteHandlerBuilder Takes<T>(this RouteHandlerBuilder b) where T : notnull =>
        b.AddOpenApiOperationTransformer(async (operation, context, ct) =>
        {
            var schema = await context.GetOrCreateSchemaAsync(typeof(T), null, ct);
            operation.RequestBody = new OpenApiRequestBody
            {
                Content = Formats.ToDictionary(f => f, _ => new OpenApiMediaType { Schema = schema }),
            };
        });

    /// <summary>Documents the fault replies an endpoint can give (401 and 403 apply to every endpoint).</summary>
    public static RouteHandlerBuilder Faults(this RouteHandlerBuilder b, params int[] statuses)
    {
        foreach (var s in statuses.Concat([401, 403]).Distinct()) b.Produces(s, typeof(Fault), Formats[0], Formats[1..]);
        return b;
    }

    /// <summary>Marks an action endpoint: its faults are written inside <c>&lt;action&gt;</c>, as oVirt does (<see cref="FailedAction"/>).</summary>
    public static RouteHandlerBuilder IsAction(this RouteHandlerBuilder b) => b.WithMetadata(OvirtActionEndpoint.Instance);

    public static RouteHandlerBuilder Describe(this RouteHandlerBuilder b, string tag, string summary, string description) =>
        b.WithTags(tag).WithSummary(summary).WithDescription(description);
}

/// <summary>Endpoint metadata of an oVirt action (start, stop, previewsnapshot, restore…).</summary>
internal sealed class OvirtActionEndpoint
{
    public static readonly OvirtActionEndpoint Instance = new();
}
