using System.Text.Json;
using System.Text.Json.Serialization;
using System.Xml.Serialization;

namespace Portal.Api.Model;

// One model per oVirt v4 type, written by XmlSerializer (the default) and System.Text.Json (Accept: application/json).
// oVirt's conventions: XML attributes href/id become JSON properties; a collection is {"vm": [...]} in JSON and
// <vms><vm/>...</vms> in XML; a single object is unwrapped in JSON; dates are written as oVirt writes them, in XML and
// JSON alike: milliseconds and an offset (2026-12-02T06:28:27.674+00:00; see OvirtDate). These classes are public
// because XmlSerializer only serializes public types.

/// <summary>Anything with an id and a canonical address.</summary>
public abstract class Identified
{
    [XmlAttribute("href"), JsonPropertyName("href"), JsonPropertyOrder(-2)]
    public string? Href { get; set; }

    [XmlAttribute("id"), JsonPropertyName("id"), JsonPropertyOrder(-1)]
    public string? Id { get; set; }
}

/// <summary>A reference to another resource: <c>&lt;vm href="…" id="…"/&gt;</c>.</summary>
public sealed class Ref : Identified
{
    public static Ref To(string href, Guid id) => new() { Href = href, Id = id.ToString() };
}

public sealed class Link
{
    [XmlAttribute("href"), JsonPropertyName("href")]
    public string Href { get; set; } = "";

    [XmlAttribute("rel"), JsonPropertyName("rel")]
    public string Rel { get; set; } = "";
}

/// <summary>The <c>&lt;actions&gt;</c> block: one link per action the resource accepts.</summary>
public sealed class ActionLinks
{
    [XmlElement("link"), JsonPropertyName("link")]
    public List<Link> Links { get; set; } = [];

    public static ActionLinks For(string href, params string[] actions) =>
        new() { Links = actions.Select(a => new Link { Href = $"{href}/{a}", Rel = a }).ToList() };
}

/// <summary>The body of every error reply.</summary>
[XmlRoot("fault")]
public sealed class Fault
{
    /// <summary>A short category: Bad Request, Incomplete parameters, Operation Failed, Not Found…</summary>
    [XmlElement("reason"), JsonPropertyName("reason")]
    public string Reason { get; set; } = "";

    /// <summary>The reason a person can read, from the validator when a command refused.</summary>
    [XmlElement("detail"), JsonPropertyName("detail")]
    public string Detail { get; set; } = "";
}

/// <summary>
/// The reply to an action that was refused or failed, as oVirt v4 writes it: the action with its fault and
/// <c>status</c> failed. libgovirt reads the fault's detail only from this shape; oVirt's SDKs read both.
/// </summary>
[XmlRoot("action")]
public sealed class FailedAction
{
    [XmlElement("fault"), JsonPropertyName("fault")]
    public Fault Fault { get; set; } = new();

    [XmlElement("status"), JsonPropertyName("status")]
    public string Status { get; set; } = "failed";
}

/// <summary>The reply to an action (start, stop, previewsnapshot…).</summary>
[XmlRoot("action")]
public sealed class ActionResult
{
    /// <summary>Always <c>complete</c>: the portal answers an action once it has finished.</summary>
    [XmlElement("status"), JsonPropertyName("status")]
    public string Status { get; set; } = "complete";
}

/// <summary>
/// oVirt's date format, in XML and JSON: <c>2026-12-02T06:28:27.674+00:00</c>, always UTC, always three fractional
/// digits and an offset. oVirt's Python SDK parses dates with <c>%Y-%m-%dT%H:%M:%S.%f</c> after cutting the offset, so
/// .NET's default (seven digits, no offset) is refused by it.
/// </summary>
public static class OvirtDate
{
    public const string Format = "yyyy-MM-dd'T'HH:mm:ss.fff'+00:00'";

    public static string ToText(DateTime value) =>
        (value.Kind == DateTimeKind.Local ? value.ToUniversalTime() : value).ToString(Format, System.Globalization.CultureInfo.InvariantCulture);

    public static DateTime Parse(string text) =>
        DateTimeOffset.Parse(text, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AssumeUniversal).UtcDateTime;
}

/// <summary>Writes and reads dates in <see cref="OvirtDate"/>'s format in JSON.</summary>
public sealed class OvirtDateConverter : JsonConverter<DateTime>
{
    public override DateTime Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        OvirtDate.Parse(reader.GetString() ?? throw new JsonException("A date must be a string."));

    public override void Write(Utf8JsonWriter writer, DateTime value, JsonSerializerOptions options) =>
        writer.WriteStringValue(OvirtDate.ToText(value));
}
