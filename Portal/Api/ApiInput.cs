using System.Text.Json;
using System.Xml;
using System.Xml.Linq;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;

namespace Portal.Api;

/// <summary>
/// A request body, XML or JSON, read into one element tree so both are checked by the same code. Reading enforces
/// the size cap and refuses DTDs and external entities; every problem becomes a 4xx <see cref="ApiFault"/>.
/// </summary>
internal sealed class ApiInput
{
    /// <summary>Marks an element converted from JSON with the JSON kind it had, so wrong types can be refused.</summary>
    /// <param name="InArray">It was an item of a JSON array, where one value was expected: [true] is not true.</param>
    private sealed record JsonKind(JsonValueKind Kind, bool InArray = false);

    private readonly XElement _element;
    private readonly string _path;

    private ApiInput(XElement element, string path)
    {
        _element = element;
        _path = path;
    }

    private static readonly XmlReaderSettings XmlSettings = new()
    {
        // Untrusted input: no DTD (so no entity expansion, no "billion laughs") and no resolver (no external entities).
        DtdProcessing = DtdProcessing.Prohibit,
        XmlResolver = null,
        IgnoreComments = true,
        IgnoreProcessingInstructions = true,
        MaxCharactersFromEntities = 1024,
        // Characters XML 1.0 cannot carry (also as &#xFFFF;) are refused by the reader; said here so that it stays so.
        CheckCharacters = true,
    };

    /// <summary>The deepest element nesting a request may have; deeper is refused while reading, before any tree is built.</summary>
    public const int MaxDepth = 64;

    private static readonly JsonDocumentOptions JsonSettings = new() { MaxDepth = 32 };

    /// <summary>Reads the body, whose top element must be <paramref name="root"/> (JSON: the object itself, or wrapped in it).</summary>
    /// <param name="allowEmpty">Actions accept no body at all as <c>&lt;action/&gt;</c>.</param>
    public static async Task<ApiInput> ReadAsync(HttpContext http, string root, bool allowEmpty)
    {
        var max = http.RequestServices.GetRequiredService<IOptions<ApiOptions>>().Value.MaxRequestBodyBytes;
        var bytes = await ReadBodyAsync(http, max);
        var first = FirstSignificantByte(bytes);
        if (first < 0)
        {
            if (allowEmpty) return new ApiInput(new XElement(root), root);
            throw ApiFault.Incomplete($"The request needs a <{root}> body.");
        }

        var contentType = http.Request.ContentType;
        var kind = MediaKind(contentType, (byte)first);
        var element = kind switch
        {
            "xml" => ParseXml(bytes, root),
            "json" => ParseJson(bytes, root),
            _ => throw ApiFault.UnsupportedMediaType(contentType),
        };
        return new ApiInput(element, root);
    }

    private static async Task<byte[]> ReadBodyAsync(HttpContext http, long max)
    {
        if (http.Request.ContentLength > max) throw ApiFault.TooLarge(max);
        // Kestrel stops reading at this size too, so a client cannot stream an endless body.
        if (http.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit) limit.MaxRequestBodySize = max;
        using var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        try
        {
            int n;
            while ((n = await http.Request.Body.ReadAsync(chunk, http.RequestAborted)) > 0)
            {
                if (buffer.Length + n > max) throw ApiFault.TooLarge(max);
                buffer.Write(chunk, 0, n);
            }
        }
        catch (BadHttpRequestException ex) when (ex.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            throw ApiFault.TooLarge(max);
        }
        catch (BadHttpRequestException ex)
        {
            throw ApiFault.BadRequest("The request body could not be read: " + ex.Message);
        }
        return buffer.ToArray();
    }

    private static int FirstSignificantByte(byte[] bytes)
    {
        var i = bytes.AsSpan().StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF]) ? 3 : 0;
        for (; i < bytes.Length; i++)
            if (bytes[i] is not ((byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n')) return bytes[i];
        return -1;
    }

    /// <summary>
    /// XML or JSON by Content-Type; with none, or curl's default form type, by the first character, so that
    /// <c>curl -d '&lt;action/&gt;'</c> works. Anything else is 415.
    /// </summary>
    private static string? MediaKind(string? contentType, byte first)
    {
        if (string.IsNullOrWhiteSpace(contentType) || contentType.StartsWith("application/x-www-form-urlencoded", StringComparison.OrdinalIgnoreCase))
            return first == '<' ? "xml" : first is (byte)'{' or (byte)'[' ? "json" : throw ApiFault.BadRequest("The request body is neither XML nor JSON.");
        if (!MediaTypeHeaderValue.TryParse(contentType, out var media)) return null;
        if (media.MediaType.Equals("application/json", StringComparison.OrdinalIgnoreCase) || media.Suffix.Equals("json", StringComparison.OrdinalIgnoreCase)) return "json";
        if (media.MediaType.Equals("application/xml", StringComparison.OrdinalIgnoreCase) || media.MediaType.Equals("text/xml", StringComparison.OrdinalIgnoreCase)
            || media.Suffix.Equals("xml", StringComparison.OrdinalIgnoreCase)) return "xml";
        return null;
    }

    private static XElement ParseXml(byte[] bytes, string root)
    {
        XElement element;
        try
        {
            // First a streaming pass that stops at the first element too deep (a nesting bomb costs milliseconds, not
            // minutes), then the tree.
            using (var scan = XmlReader.Create(new MemoryStream(bytes, writable: false), XmlSettings))
                while (scan.Read())
                    if (scan.Depth >= MaxDepth) throw ApiFault.BadRequest($"The request body is nested deeper than {MaxDepth} levels.");
            using var stream = new MemoryStream(bytes, writable: false);
            using var reader = XmlReader.Create(stream, XmlSettings);
            element = XElement.Load(reader);
        }
        catch (XmlException ex)
        {
            throw ApiFault.BadRequest("The request body is not well-formed XML: " + ex.Message);
        }
        if (element.Name.LocalName != root)
            throw ApiFault.BadRequest($"The request body must be a <{root}> element, not <{element.Name.LocalName}>.");
        return element;
    }

    private static XElement ParseJson(byte[] bytes, string root)
    {
        try
        {
            using var doc = JsonDocument.Parse(bytes, JsonSettings);
            var value = doc.RootElement;
            if (value.ValueKind != JsonValueKind.Object)
                throw ApiFault.BadRequest($"The request body must be a JSON object (a {root}).");
            // oVirt sends the object itself; {"snapshot": {...}} is accepted too.
            if (value.EnumerateObject().Count() == 1 && value.TryGetProperty(root, out var inner) && inner.ValueKind == JsonValueKind.Object)
                value = inner;
            return ToElement(root, value);
        }
        catch (JsonException ex)
        {
            throw ApiFault.BadRequest("The request body is not valid JSON: " + ex.Message);
        }
        catch (InvalidOperationException ex)
        {
            // The parser checks structure; invalid UTF-8 inside a string only shows when the string is read.
            throw ApiFault.BadRequest("The request body is not valid JSON: " + ex.Message);
        }
    }

    private static XElement ToElement(string name, JsonElement value, bool inArray = false)
    {
        if (Portal.Core.Commands.TextInput.FirstInvalidXmlChar(name) >= 0)
            throw ApiFault.BadRequest($"A property name contains a character XML cannot carry (U+{(int)name[Portal.Core.Commands.TextInput.FirstInvalidXmlChar(name)]:X4}).");
        var element = new XElement(XmlConvert.EncodeLocalName(name.Length == 0 ? "_" : name));
        element.AddAnnotation(new JsonKind(value.ValueKind, inArray));
        switch (value.ValueKind)
        {
            case JsonValueKind.Object:
                foreach (var p in value.EnumerateObject())
                {
                    if (p.Value.ValueKind == JsonValueKind.Array)
                        foreach (var item in p.Value.EnumerateArray()) element.Add(ToElement(p.Name, item, inArray: true));
                    else element.Add(ToElement(p.Name, p.Value));
                }
                break;
            case JsonValueKind.Array:
                foreach (var item in value.EnumerateArray()) element.Add(ToElement(name, item, inArray: true));
                break;
            case JsonValueKind.String:
                var text = value.GetString()!;
                if (Portal.Core.Commands.TextInput.Refusal($"value of '{XmlSafeName(name)}'", text) is { } refusal) throw ApiFault.BadRequest(refusal);
                element.Value = text;
                break;
            case JsonValueKind.Null:
                break;
            default:
                element.Value = value.GetRawText();
                break;
        }
        return element;
    }

    /// <summary>Refuses an element the portal does not support instead of silently ignoring what the client meant.</summary>
    public void Refuse(string name, string reason)
    {
        if (Find(name) is not null) throw ApiFault.BadRequest($"{_path}.{name} is not supported: {reason}");
    }

    /// <summary>The text of a child element (or attribute), or null when absent.</summary>
    public string? String(string name)
    {
        if (_element.Attribute(name) is { } a) return a.Value;
        var e = Find(name);
        if (e is null || IsJsonNull(e)) return null;
        if (e.HasElements || e.Annotation<JsonKind>() is { Kind: not JsonValueKind.String } or { InArray: true })
            throw ApiFault.BadRequest($"{_path}.{name} must be text.");
        return e.Value;
    }

    /// <summary>xsd:boolean (true, false, 1, 0), or a JSON boolean; null when absent.</summary>
    public bool? Boolean(string name)
    {
        if (_element.Attribute(name) is null && Find(name) is { } e)
        {
            if (IsJsonNull(e)) return null;
            if (e.HasElements || e.Annotation<JsonKind>() is { Kind: JsonValueKind.Object or JsonValueKind.Array } or { InArray: true })
                throw ApiFault.BadRequest($"{_path}.{name} must be true or false.");
        }
        var text = _element.Attribute(name)?.Value ?? Find(name)?.Value;
        return text?.Trim().ToLowerInvariant() switch
        {
            null => null,
            "true" or "1" => true,
            "false" or "0" => false,
            _ => throw ApiFault.BadRequest($"{_path}.{name} must be true or false, not '{Shorten(text)}'."),
        };
    }

    /// <summary>A nested element, e.g. the <c>&lt;snapshot id="…"/&gt;</c> of an action; null when absent.</summary>
    public ApiInput? Child(string name)
    {
        var e = Find(name);
        if (e is null || IsJsonNull(e)) return null;
        if (e.Annotation<JsonKind>() is { Kind: not JsonValueKind.Object } or { InArray: true })
            throw ApiFault.BadRequest($"{_path}.{name} must be an object with an id.");
        return new ApiInput(e, $"{_path}.{name}");
    }

    /// <summary>
    /// The elements of a collection, as oVirt writes them: <c>&lt;snapshots&gt;&lt;snapshot id="…"/&gt;&lt;/snapshots&gt;</c> in XML,
    /// <c>"snapshots": {"snapshot": [{"id": "…"}]}</c> in JSON. Empty when absent.
    /// </summary>
    public IReadOnlyList<ApiInput> Items(string collection, string item)
    {
        var c = Find(collection);
        if (c is null || IsJsonNull(c)) return [];
        return c.Elements().Where(e => e.Name.LocalName == item && e.Annotation<JsonKind>() is null or { Kind: JsonValueKind.Object })
            .Select((e, i) => new ApiInput(e, $"{_path}.{collection}.{item}[{i}]")).ToList();
    }

    /// <summary>The <c>id</c> attribute (XML) or property (JSON) as a GUID; a malformed one is bad input.</summary>
    public Guid? Id()
    {
        var text = String("id");
        if (text is null) return null;
        return Guid.TryParse(text, out var id) ? id : throw ApiFault.BadRequest($"{_path}.id '{Shorten(text)}' is not a valid id.");
    }

    private XElement? Find(string name)
    {
        var found = _element.Elements().Where(e => e.Name.LocalName == name).Take(2).ToList();
        return found.Count switch
        {
            0 => null,
            1 => found[0],
            _ => throw ApiFault.BadRequest($"{_path}.{name} is given more than once."),
        };
    }

    private static string XmlSafeName(string name) => Portal.Core.Commands.TextInput.Printable(name.Length > 40 ? name[..40] : name);

    private static bool IsJsonNull(XElement e) => e.Annotation<JsonKind>() is { Kind: JsonValueKind.Null };

    private static string Shorten(string s) => s.Length <= 40 ? s : s[..40] + "…";
}
