using Microsoft.AspNetCore.Diagnostics;
using Microsoft.Extensions.Options;

namespace Portal.Api;

/// <summary>
/// On API paths: every error is a fault body, never the portal's HTML status pages, and never an exception page.
/// Faults thrown by endpoints become their status; a status set without a body (routing's 404 and 405) gets a
/// fault; anything unexpected is logged and answered 500 with a fault that leaks nothing.
/// </summary>
internal sealed partial class ApiFaultMiddleware(RequestDelegate next, IOptions<ApiOptions> options, ILogger<ApiFaultMiddleware> log)
{
    public async Task InvokeAsync(HttpContext context)
    {
        if (!ApiPaths.IsApi(context.Request.Path))
        {
            await next(context);
            return;
        }
        if (context.Features.Get<IStatusCodePagesFeature>() is { } pages) pages.Enabled = false;

        ApiFault? fault = null;
        try
        {
            // Query parameters are text input too (search=…, max=…): what XML cannot carry is refused like a body's.
            foreach (var (key, values) in context.Request.Query)
                foreach (var value in values.Append(key))
                    if (value is not null && Portal.Core.Commands.TextInput.Refusal($"query parameter '{key}'", value) is { } refusal)
                        throw ApiFault.BadRequest(refusal);
            await next(context);
        }
        catch (ApiFault f) when (!context.Response.HasStarted)
        {
            fault = f;
        }
        catch (BadHttpRequestException ex) when (!context.Response.HasStarted)
        {
            fault = ex.StatusCode == StatusCodes.Status413PayloadTooLarge
                ? ApiFault.TooLarge(options.Value.MaxRequestBodyBytes)
                : ApiFault.BadRequest("The request could not be read: " + ex.Message);
        }
        catch (Exception ex) when (!context.Response.HasStarted && !context.RequestAborted.IsCancellationRequested)
        {
            LogUnhandled(log, context.Request.Method, context.Request.Path, ex);
            fault = ApiFault.ForStatus(StatusCodes.Status500InternalServerError);
        }

        if (fault is not null)
        {
            context.Response.Clear();
            if (context.GetEndpoint()?.Metadata.GetMetadata<Endpoints.OvirtActionEndpoint>() is not null)
                await OvirtFormat.WriteAsync(context, fault.Status, new Model.FailedAction { Fault = fault.Body });
            else
                await OvirtFormat.WriteAsync(context, fault.Status, fault.Body);
            return;
        }
        var response = context.Response;
        if (!response.HasStarted && response.StatusCode >= 400 && response.ContentLength is null or 0 && string.IsNullOrEmpty(response.ContentType))
            await OvirtFormat.WriteAsync(context, response.StatusCode, ApiFault.ForStatus(response.StatusCode).Body);
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "API request {Method} {Path} failed")]
    private static partial void LogUnhandled(ILogger log, string method, string path, Exception ex);
}
