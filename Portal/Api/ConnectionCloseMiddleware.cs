namespace Portal.Api;

/// <summary>
/// Closes the connection after a 401 and after a GET (or HEAD) that declares a body, on the API and SSO paths.
/// libsoup (under libgovirt and so virt-viewer) re-sends a GET after the 401 challenge with <c>Content-Length: 17</c>
/// and no body: on a kept-alive connection Kestrel then waits for those bytes, or reads the next request's bytes as
/// that body, and the client gets "Bad Request". Closing makes the client open a fresh connection for each retry.
/// </summary>
internal sealed class ConnectionCloseMiddleware(RequestDelegate next)
{
    public Task InvokeAsync(HttpContext context)
    {
        var request = context.Request;
        if (ApiPaths.IsApi(request.Path) || request.Path.StartsWithSegments("/ovirt-engine"))
        {
            var declaresBody = request.ContentLength > 0 || request.Headers.TransferEncoding.Count > 0;
            if (declaresBody && (HttpMethods.IsGet(request.Method) || HttpMethods.IsHead(request.Method)))
                context.Response.Headers.Connection = "close";
            else
                context.Response.OnStarting(static state =>
                {
                    var response = (HttpResponse)state;
                    if (response.StatusCode == StatusCodes.Status401Unauthorized) response.Headers.Connection = "close";
                    return Task.CompletedTask;
                }, context.Response);
        }
        return next(context);
    }
}
