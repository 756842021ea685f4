using System.Net;
using static Portal.Tests.Api.ApiTestExtensions;

namespace Portal.Tests.Api;

/// <summary>
/// Requests the commands refuse: the status says why (400 bad input, 404, 409 state conflict), the detail is the
/// validator's reason, and nothing changes.
/// </summary>
public sealed class SnapshotRefusalTests(PortalApiFactory app) : IClassFixture<PortalApiFactory>
{
    private static readonly string WebFrontend = Vm(PortalApiFactory.WebFrontend);
    private static readonly string BuildAgent = Vm(PortalApiFactory.BuildAgent);

    [Fact]
    public async Task CreateSnapshot_WithMemoryOfVmWithHostDevice_Answers409WithReason()
    {
        var detail = await RefusedAsync(c => c.Post($"{Vm(PortalApiFactory.GpuRender)}/snapshots",
            Xml("<snapshot><description>gpu</description><persist_memorystate>true</persist_memorystate></snapshot>")), HttpStatusCode.Conflict);
        Assert.StartsWith("Memory cannot be saved for a VM with", detail);
    }

    [Fact]
    public async Task CreateSnapshot_WithoutDescription_Answers400WithReason()
    {
        var detail = await RefusedAsync(c => c.Post($"{WebFrontend}/snapshots", Xml("<snapshot><description>  </description></snapshot>")), HttpStatusCode.BadRequest);
        Assert.Equal("Enter a description for the snapshot.", detail);
    }

    [Fact]
    public async Task CreateSnapshot_DescriptionTooLong_Answers400WithReason()
    {
        var detail = await RefusedAsync(c => c.Post($"{WebFrontend}/snapshots", Json($$"""{"description": "{{new string('x', 4001)}}"}""")), HttpStatusCode.BadRequest);
        Assert.Contains("4001 characters long", detail);
    }

    [Fact]
    public async Task CreateSnapshot_OfUnknownVm_Answers404()
    {
        var detail = await RefusedAsync(c => c.Post($"{Vm(Guid.NewGuid())}/snapshots", Xml("<snapshot><description>x</description></snapshot>")), HttpStatusCode.NotFound);
        Assert.StartsWith("There is no VM with id", detail);
    }

    [Fact]
    public async Task CreateSnapshot_WithDiskAttachments_Answers400NotSupported()
    {
        var detail = await RefusedAsync(c => c.Post($"{WebFrontend}/snapshots",
            Xml("<snapshot><description>x</description><disk_attachments><disk_attachment/></disk_attachments></snapshot>")), HttpStatusCode.BadRequest);
        Assert.Contains("not supported", detail);
    }

    [Fact]
    public async Task RemoveSnapshot_OfRunningVm_Answers409()
    {
        var active = await ActiveSnapshotAsync(PortalApiFactory.WebFrontend);
        var detail = await RefusedAsync(c => c.Delete($"{WebFrontend}/snapshots/{active}"), HttpStatusCode.Conflict);
        Assert.Equal("The VM must be Down to remove a snapshot. It is Up.", detail);
    }

    [Fact]
    public async Task RemoveSnapshot_Unknown_Answers404()
    {
        var detail = await RefusedAsync(c => c.Delete($"{BuildAgent}/snapshots/{Guid.NewGuid()}"), HttpStatusCode.NotFound);
        Assert.Contains("does not exist", detail);
    }

    [Fact]
    public async Task PreviewSnapshot_OfRunningVm_Answers409()
    {
        var active = await ActiveSnapshotAsync(PortalApiFactory.WebFrontend);
        var detail = await RefusedAsync(c => c.Post($"{WebFrontend}/previewsnapshot", Action($"<snapshot id=\"{active}\"/>")), HttpStatusCode.Conflict);
        Assert.Equal("The VM must be Down to preview a snapshot. It is Up.", detail);
    }

    [Fact]
    public async Task PreviewSnapshot_WithoutSnapshotId_Answers400Incomplete()
    {
        var response = await SendAsync(c => c.Post($"{BuildAgent}/previewsnapshot", Action("<restore_memory>true</restore_memory>")));
        var detail = await response.FaultAsync(HttpStatusCode.BadRequest);
        Assert.Equal("action.snapshot.id is required for previewsnapshot.", detail);
        Assert.Contains("<reason>Incomplete parameters</reason>", await response.Content.ReadAsStringAsync(Ct));
    }

    [Fact]
    public async Task PreviewSnapshot_UnknownSnapshot_Answers404()
    {
        var detail = await RefusedAsync(c => c.Post($"{BuildAgent}/previewsnapshot", Action($"<snapshot id=\"{Guid.NewGuid()}\"/>")), HttpStatusCode.NotFound);
        Assert.Contains("does not exist", detail);
    }

    [Fact]
    public async Task PreviewSnapshot_TheActiveSnapshot_Answers409()
    {
        var active = await ActiveSnapshotAsync(PortalApiFactory.BuildAgent);
        var detail = await RefusedAsync(c => c.Post($"{BuildAgent}/previewsnapshot", Action($"<snapshot id=\"{active}\"/>")), HttpStatusCode.Conflict);
        Assert.Contains("is not a regular snapshot", detail);
    }

    [Fact]
    public async Task CommitSnapshot_WithoutPreview_Answers409()
    {
        var detail = await RefusedAsync(c => c.Post($"{BuildAgent}/commitsnapshot", Action()), HttpStatusCode.Conflict);
        Assert.Equal("The VM has no snapshot in preview.", detail);
    }

    [Fact]
    public async Task UndoSnapshot_WithoutPreview_Answers409()
    {
        var detail = await RefusedAsync(c => c.Post($"{BuildAgent}/undosnapshot", Action()), HttpStatusCode.Conflict);
        Assert.Equal("The VM has no snapshot in preview.", detail);
    }

    [Fact]
    public async Task RestoreSnapshot_OfRunningVm_Answers409AndChangesNothing()
    {
        var active = await ActiveSnapshotAsync(PortalApiFactory.WebFrontend);
        var detail = await RefusedAsync(c => c.Post($"{WebFrontend}/snapshots/{active}/restore", Action()), HttpStatusCode.Conflict);
        Assert.Equal("The VM must be Down to restore a snapshot. It is Up.", detail);
    }

    [Fact]
    public async Task StartVm_AlreadyUp_Answers409()
    {
        var detail = await RefusedAsync(c => c.Post($"{WebFrontend}/start", Action()), HttpStatusCode.Conflict);
        Assert.Equal("The VM cannot be run while it is Up.", detail);
    }

    [Fact]
    public async Task StopVm_AlreadyDown_Answers409()
    {
        var detail = await RefusedAsync(c => c.Post($"{BuildAgent}/stop", Action()), HttpStatusCode.Conflict);
        Assert.Equal("The VM is Down; only a running VM can be stopped.", detail);
        await RefusedAsync(c => c.Post($"{BuildAgent}/shutdown", null), HttpStatusCode.Conflict);
    }

    [Fact]
    public async Task StopVm_WithCurlsDefaultContentType_ReadsTheXmlBody()
    {
        // curl -d sends application/x-www-form-urlencoded; the body is recognised as XML and reaches the command.
        var detail = await RefusedAsync(c => c.Post($"{BuildAgent}/stop",
            new StringContent("<action/>", System.Text.Encoding.UTF8, "application/x-www-form-urlencoded")), HttpStatusCode.Conflict);
        Assert.Equal("The VM is Down; only a running VM can be stopped.", detail);
    }

    [Fact]
    public async Task StartVm_Unknown_Answers404()
    {
        await RefusedAsync(c => c.Post($"{Vm(Guid.NewGuid())}/start", Action()), HttpStatusCode.NotFound);
    }

    private async Task<HttpResponseMessage> SendAsync(Func<HttpClient, Task<HttpResponseMessage>> send)
    {
        using var client = app.Admin();
        return await send(client);
    }

    /// <summary>Sends as Admin, asserts the fault and that no row changed, and returns the detail.</summary>
    private async Task<string> RefusedAsync(Func<HttpClient, Task<HttpResponseMessage>> send, HttpStatusCode expected)
    {
        var before = await app.CountRowsAsync();
        var detail = await (await SendAsync(send)).FaultAsync(expected);
        Assert.Equal(before, await app.CountRowsAsync());
        return detail;
    }

    private async Task<string> ActiveSnapshotAsync(Guid vm)
    {
        using var client = app.Admin();
        var snapshots = await (await client.Get($"{Vm(vm)}/snapshots")).XmlAsync(HttpStatusCode.OK);
        return snapshots.Elements("snapshot").Single(s => s.Text("snapshot_type") == "active").Attribute("id")!.Value;
    }
}
