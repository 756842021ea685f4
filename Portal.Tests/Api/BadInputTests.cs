using System.Net;
using System.Text;
using static Portal.Tests.Api.ApiTestExtensions;

namespace Portal.Tests.Api;

/// <summary>Malformed, mistyped, hostile or oversized bodies: each gets a 4xx fault and changes nothing.</summary>
public sealed class BadInputTests(PortalApiFactory app) : IClassFixture<PortalApiFactory>
{
    private static readonly string Snapshots = $"{Vm(PortalApiFactory.WebFrontend)}/snapshots";

    [Fact]
    public async Task CreateSnapshot_MalformedXml_Answers400()
    {
        var detail = await RejectedAsync(Snapshots, Xml("<snapshot><description>x</snapshot>"), HttpStatusCode.BadRequest);
        Assert.StartsWith("The request body is not well-formed XML", detail);
    }

    [Fact]
    public async Task CreateSnapshot_MalformedJson_Answers400()
    {
        var detail = await RejectedAsync(Snapshots, Json("""{"description": "x", """), HttpStatusCode.BadRequest);
        Assert.StartsWith("The request body is not valid JSON", detail);
    }

    [Fact]
    public async Task CreateSnapshot_WrongRootElement_Answers400()
    {
        var detail = await RejectedAsync(Snapshots, Xml("<vm><description>x</description></vm>"), HttpStatusCode.BadRequest);
        Assert.Equal("The request body must be a <snapshot> element, not <vm>.", detail);
    }

    [Fact]
    public async Task CreateSnapshot_PersistMemoryStateNotBoolean_Answers400()
    {
        var detail = await RejectedAsync(Snapshots, Xml("<snapshot><description>x</description><persist_memorystate>maybe</persist_memorystate></snapshot>"), HttpStatusCode.BadRequest);
        Assert.Equal("snapshot.persist_memorystate must be true or false, not 'maybe'.", detail);
    }

    [Theory]
    [InlineData("""{"description": 42}""", "snapshot.description must be text.")]
    [InlineData("""{"description": ["a", "b"]}""", "snapshot.description is given more than once.")]
    [InlineData("""{"description": "x", "persist_memorystate": {"value": true}}""", "snapshot.persist_memorystate must be true or false.")]
    [InlineData("""{"description": "x", "persist_memorystate": 2}""", "snapshot.persist_memorystate must be true or false, not '2'.")]
    [InlineData("""{"description": "x", "persist_memorystate": [true]}""", "snapshot.persist_memorystate must be true or false.")]
    [InlineData("""{"description": ["x"]}""", "snapshot.description must be text.")]
    [InlineData("""["description"]""", "The request body must be a JSON object (a snapshot).")]
    public async Task CreateSnapshot_JsonOfWrongTypes_Answers400(string json, string expected)
    {
        Assert.Equal(expected, await RejectedAsync(Snapshots, Json(json), HttpStatusCode.BadRequest));
    }

    [Fact]
    public async Task CreateSnapshot_XmlWithExternalEntity_IsRefusedWithoutReadingTheFile()
    {
        const string xxe = """
            <?xml version="1.0"?>
            <!DOCTYPE snapshot [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
            <snapshot><description>&secret;</description></snapshot>
            """;
        var response = await SendAsync(Snapshots, Xml(xxe));
        var detail = await response.FaultAsync(HttpStatusCode.BadRequest);
        Assert.Contains("DTD is prohibited", detail);
        Assert.DoesNotContain("root:", await response.Content.ReadAsStringAsync(Ct));
    }

    [Fact]
    public async Task CreateSnapshot_BillionLaughs_IsRefused()
    {
        var laughs = new StringBuilder("<?xml version=\"1.0\"?><!DOCTYPE lolz [<!ENTITY lol \"lol\">");
        for (var i = 1; i <= 9; i++) laughs.Append($"<!ENTITY lol{i} \"{string.Concat(Enumerable.Repeat($"&lol{(i == 1 ? "" : i - 1)};", 10))}\">");
        laughs.Append("]><snapshot><description>&lol9;</description></snapshot>");
        Assert.Contains("DTD is prohibited", await RejectedAsync(Snapshots, Xml(laughs.ToString()), HttpStatusCode.BadRequest));
    }

    [Fact]
    public async Task CreateSnapshot_BodyOverOneMebibyte_Answers413()
    {
        var huge = "<snapshot><description>" + new string('x', 1024 * 1024 + 1) + "</description></snapshot>";
        Assert.Contains("1048576 bytes", await RejectedAsync(Snapshots, Xml(huge), HttpStatusCode.RequestEntityTooLarge));
    }

    [Fact]
    public async Task CreateSnapshot_ChunkedBodyOverOneMebibyte_Answers413()
    {
        // No Content-Length: the limit is enforced while reading.
        var bytes = Encoding.UTF8.GetBytes("<snapshot><description>" + new string('y', 2 * 1024 * 1024) + "</description></snapshot>");
        var content = new StreamContent(new NonSeekableStream(bytes));
        content.Headers.ContentType = new("application/xml");
        await RejectedAsync(Snapshots, content, HttpStatusCode.RequestEntityTooLarge);
    }

    [Fact]
    public async Task CreateSnapshot_PlainTextBody_Answers415()
    {
        var detail = await RejectedAsync(Snapshots, new StringContent("description=x", Encoding.UTF8, "text/plain"), HttpStatusCode.UnsupportedMediaType);
        Assert.Contains("application/xml or application/json", detail);
    }

    [Fact]
    public async Task CreateSnapshot_EmptyBody_Answers400Incomplete()
    {
        Assert.Equal("The request needs a <snapshot> body.", await RejectedAsync(Snapshots, Xml(""), HttpStatusCode.BadRequest));
    }

    [Fact]
    public async Task CreateSnapshot_ControlCharacterInXml_Answers400()
    {
        await RejectedAsync(Snapshots, Xml("<snapshot><description>a\u0001b</description></snapshot>"), HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task CreateSnapshot_InvalidUtf8Json_Answers400()
    {
        var content = new ByteArrayContent([.. "{\"description\": \""u8.ToArray(), 0xC3, 0x28, .. "\"}"u8.ToArray()]);
        content.Headers.ContentType = new("application/json");
        await RejectedAsync(Snapshots, content, HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task CreateSnapshot_DeeplyNestedJson_Answers400()
    {
        var deep = "{\"description\": " + new string('[', 200) + new string(']', 200) + "}";
        await RejectedAsync(Snapshots, Json(deep), HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task PreviewSnapshot_MalformedSnapshotId_Answers400()
    {
        var detail = await RejectedAsync($"{Vm(PortalApiFactory.BuildAgent)}/previewsnapshot", Action("<snapshot id=\"not-a-guid\"/>"), HttpStatusCode.BadRequest);
        Assert.Equal("action.snapshot.id 'not-a-guid' is not a valid id.", detail);
    }

    [Fact]
    public async Task PreviewSnapshot_WithDisks_Answers400NotSupported()
    {
        var detail = await RejectedAsync($"{Vm(PortalApiFactory.BuildAgent)}/previewsnapshot",
            Action($"<snapshot id=\"{Guid.NewGuid()}\"/><disks><disk id=\"1\"/></disks>"), HttpStatusCode.BadRequest);
        Assert.StartsWith("action.disks is not supported", detail);
    }

    [Theory]
    [InlineData("<vm><initialization/></vm>", "action.vm is not supported")]
    [InlineData("<pause>true</pause>", "action.pause is not supported")]
    [InlineData("<volatile>true</volatile>", "action.volatile is not supported")]
    public async Task StartVm_RunOnceOptions_Answers400InsteadOfIgnoringThem(string option, string expected)
    {
        Assert.StartsWith(expected, await RejectedAsync($"{Vm(PortalApiFactory.BuildAgent)}/start", Action(option), HttpStatusCode.BadRequest));
        Assert.Equal("down", await StatusAsync(PortalApiFactory.BuildAgent));
    }

    [Fact]
    public async Task StartVm_BodyNotAnAction_Answers400()
    {
        await RejectedAsync($"{Vm(PortalApiFactory.BuildAgent)}/start", Xml("<vm/>"), HttpStatusCode.BadRequest);
        Assert.Equal("down", await StatusAsync(PortalApiFactory.BuildAgent));
    }

    private async Task<string> StatusAsync(Guid vm)
    {
        using var client = app.Admin();
        return (await (await client.Get(Vm(vm))).XmlAsync(HttpStatusCode.OK)).Text("status");
    }

    private async Task<HttpResponseMessage> SendAsync(string path, HttpContent body)
    {
        using var client = app.Admin();
        return await client.Post(path, body);
    }

    private async Task<string> RejectedAsync(string path, HttpContent body, HttpStatusCode expected)
    {
        var before = await app.CountRowsAsync();
        var detail = await (await SendAsync(path, body)).FaultAsync(expected);
        Assert.Equal(before, await app.CountRowsAsync());
        return detail;
    }

    /// <summary>Hides the length, so the client sends the body chunked.</summary>
    private sealed class NonSeekableStream(byte[] bytes) : MemoryStream(bytes)
    {
        public override bool CanSeek => false;
    }
}
