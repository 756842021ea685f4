using System.Collections.Concurrent;
using System.IO.Pipelines;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Xml;
using System.Xml.Serialization;
using Microsoft.Net.Http.Headers;

namespace Portal.Api;

/// <summary>Writes a representation as XML (the default) or JSON (when the client accepts application/json first).</summary>
internal static class OvirtFormat
{
    public const string Xml = "application/xml";
    public const string Json = "application/json";

    public static readonly JsonSerializerOptions JsonOptions = new()
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        WriteIndented = true,
        // The replies are application/json, never inlined in HTML: "Snapshot 'x'" need not become \u0027x\u0027.
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    private static readonly ConcurrentDictionary<Type, XmlSerializer> Serializers = new();
    private static readonly XmlSerializerNamespaces NoNamespaces = new([XmlQualifiedName.Empty]);

    /// <summary>JSON when the client's Accept header prefers it to XML; XML otherwise, as oVirt does.</summary>
    public static bool WantsJson(HttpRequest request)
    {
        if (!MediaTypeHeaderValue.TryParseList(request.Headers.Accept, out var accepted)) return false;
        double json = 0, xml = 0;
        foreach (var m in accepted)
        {
            var q = m.Quality ?? 1;
            if (m.MediaType.Equals(Json, StringComparison.OrdinalIgnoreCase) || m.Suffix.Equals("json", StringComparison.OrdinalIgnoreCase)) json = Math.Max(json, q);
            else if (m.MediaType.Equals(Xml, StringComparison.OrdinalIgnoreCase) || m.MediaType.Equals("text/xml", StringComparison.OrdinalIgnoreCase)) xml = Math.Max(xml, q);
        }
        return json > 0 && json > xml;
    }

    public static async Task WriteAsync<T>(HttpContext context, int status, T body, IReadOnlyList<string>? warnings = null) where T : class
    {
        var response = context.Response;
        response.StatusCode = status;
        foreach (var w in warnings ?? []) response.Headers.Append(HeaderNames.Warning, WarningHeader(w));
        if (WantsJson(context.Request))
        {
            response.ContentType = Json + "; charset=utf-8";
            await JsonSerializer.SerializeAsync(response.Body, body, JsonOptions, context.RequestAborted);
            return;
        }
        response.ContentType = Xml + "; charset=utf-8";
        if (body is IOvirtCollection collection)
        {
            await WriteXmlCollectionAsync(response.BodyWriter, collection, context.RequestAborted);
            return;
        }
        // XmlSerializer writes synchronously; the server allows only asynchronous writes, so go through a buffer. (A
        // single resource is small, and nothing is sent before it is whole: a failure still answers with a fault.)
        using var buffer = new MemoryStream();
        WriteXml(buffer, body);
        buffer.Position = 0;
        await buffer.CopyToAsync(response.Body, context.RequestAborted);
    }

    private static readonly XmlWriterSettings XmlSettings = new() { Encoding = new UTF8Encoding(false), Indent = true };

    /// <summary>The whole representation at once, as <see cref="XmlSerializer"/> writes it.</summary>
    internal static void WriteXml<T>(Stream stream, T body) where T : class
    {
        using var writer = new XmlSafeWriter(XmlWriter.Create(stream, XmlSettings));
        Serializers.GetOrAdd(typeof(T), t => new XmlSerializer(t)).Serialize(writer, body, NoNamespaces);
    }

    /// <summary>Bytes gathered before they are sent: large enough to write in few calls, few enough to hold per request.</summary>
    private const int XmlFlushBytes = 32 * 1024;

    /// <summary>
    /// A collection element by element: the same bytes as serializing the whole list (the item's serializer writes
    /// into the open collection element, so the writer indents it as the list's serializer did), sent every 32 KiB,
    /// so that 5,000 VMs (11 MiB) are never held at once. The bytes go into the pipe's pooled buffers: a request
    /// allocates no buffer of its own (it was a 64 KiB one each, whatever the reply's size).
    /// </summary>
    internal static async Task WriteXmlCollectionAsync(PipeWriter body, IOvirtCollection collection, CancellationToken ct)
    {
        var serializer = Serializers.GetOrAdd(collection.ItemType, t => new XmlSerializer(t));
        var pipe = new PipeBufferStream(body);
        using var writer = new XmlSafeWriter(XmlWriter.Create(pipe, XmlSettings));
        writer.WriteStartDocument();
        writer.WriteStartElement(collection.ElementName);
        foreach (var item in collection.Items)
        {
            serializer.Serialize(writer, item, NoNamespaces);
            if (pipe.Unsent >= XmlFlushBytes) await pipe.SendAsync(ct);
        }
        writer.WriteEndElement();
        writer.WriteEndDocument();
        writer.Flush();
        await pipe.SendAsync(ct);
    }

    /// <summary>RFC 7234 warn-code 299 ("miscellaneous persistent warning"); header values must be ASCII.</summary>
    private static string WarningHeader(string text)
    {
        var ascii = new StringBuilder(text.Length);
        foreach (var c in text) ascii.Append(c is >= ' ' and <= '~' ? c is '"' or '\\' ? '\'' : c : '?');
        return $"299 - \"{ascii}\"";
    }
}

/// <summary>A collection whose XML is written element by element (<see cref="OvirtFormat.WriteXmlCollectionAsync"/>).</summary>
internal interface IOvirtCollection
{
    /// <summary>The collection's element: <c>vms</c>.</summary>
    string ElementName { get; }

    /// <summary>The items' type, whose XmlRoot is the items' element name in the list (<c>vm</c>).</summary>
    Type ItemType { get; }

    System.Collections.IEnumerable Items { get; }
}

/// <summary>A representation with its status, as a minimal-API result.</summary>
internal sealed class OvirtResult<T>(T body, int status = StatusCodes.Status200OK, IReadOnlyList<string>? warnings = null, string? location = null) : IResult
    where T : class
{
    public Task ExecuteAsync(HttpContext httpContext)
    {
        if (location is not null) httpContext.Response.Headers.Location = location;
        return OvirtFormat.WriteAsync(httpContext, status, body, warnings);
    }
}

internal static class Ovirt
{
    public static OvirtResult<T> Ok<T>(T body, IReadOnlyList<string>? warnings = null) where T : class => new(body, StatusCodes.Status200OK, warnings);
}
