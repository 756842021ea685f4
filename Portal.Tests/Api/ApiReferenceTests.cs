using System.Net;
using System.Text.Json;
using static Portal.Tests.Api.ApiTestExtensions;

namespace Portal.Tests.Api;

public sealed class ApiReferenceTests(PortalApiFactory app) : IClassFixture<PortalApiFactory>
{
    [Fact]
    public async Task OpenApiDocument_DescribesTheSnapshotEndpointsAndAuthentication()
    {
        using var client = app.Anonymous(json: true);
        var doc = await (await client.Get("/openapi/v1.json")).JsonAsync(HttpStatusCode.OK);

        var paths = doc.GetProperty("paths");
        Assert.True(paths.TryGetProperty($"{Base}/vms/{{id}}/snapshots", out var snapshots));
        var create = snapshots.GetProperty("post");
        Assert.Contains("persist_memorystate", create.GetProperty("requestBody").GetRawText());
        Assert.True(create.GetProperty("responses").TryGetProperty("202", out _));
        Assert.True(paths.TryGetProperty($"{Base}/vms/{{id}}/previewsnapshot", out _));
        Assert.True(paths.TryGetProperty("/ovirt-engine/sso/oauth/token", out _));
        Assert.False(paths.TryGetProperty("/api/vms", out _), "the /api alias is left out of the document");
        Assert.False(paths.TryGetProperty("/account/login", out _), "only the API is described");
        var schemes = doc.GetProperty("components").GetProperty("securitySchemes");
        Assert.Equal("basic", schemes.GetProperty("basic").GetProperty("scheme").GetString());
        var date = doc.GetProperty("components").GetProperty("schemas").GetProperty("SnapshotRepresentation").GetProperty("properties").GetProperty("date");
        Assert.Contains("string", date.GetProperty("type").ToString());
        Assert.Equal("date-time", date.GetProperty("format").GetString());
    }

    [Fact]
    public async Task ApiReferencePage_ServesTheScalarReferenceWithoutSignIn()
    {
        using var client = app.Anonymous();
        client.DefaultRequestHeaders.Accept.Clear();
        // The nav menu links to /api-reference/ (Scalar redirects the bare path there).
        var response = await client.Get("/api-reference/");

        var html = await response.Content.ReadAsStringAsync(Ct);
        Assert.True(HttpStatusCode.OK == response.StatusCode, $"{response.StatusCode} {response.Headers.Location}");
        Assert.Contains("VirtPortal API reference", html);
        // Scalar resolves the document against the app's base path, and serves its script itself (no CDN).
        Assert.Contains("\"url\":\"openapi/v1.json\"", html);
        Assert.Equal(HttpStatusCode.OK, (await client.Get("/api-reference/scalar.js")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.Get("/openapi/v1.json")).StatusCode);
    }
}
