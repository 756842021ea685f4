using System.Text.Json;
using System.Text.Json.Serialization;
using System.Xml.Serialization;

namespace Portal.Api.Model;

// One model per oVirt v4 type, written by XmlSerializer (the default) and System.Text.Json (Accept: application/json).
// oVirt's conventions: XML attributes href/id become JSON properties; a collection is {"vm": [...]} in JSON and
// <vms><vm/>...</vms> in XML; a single object is unwrapped in JSON; dates are xsd:dateTime in XML and epoch
// milliseconds in JSON. These classes are public because XmlSerializer only serializes public types.

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

/// <summary>The reply to an action (start, stop, previewsnapshot…).</summary>
[XmlRoot("action")]
public sealed class ActionResult
{
    /// <summary>Always <c>complete</c>: the portal answers an action once it has finished.</summary>
    [XmlElement("status"), JsonPropertyName("status")]
    public string Status { get; set; } = "complete";
}

/// <summary>Writes dates as epoch milliseconds, as oVirt's JSON does; reads the same.</summary>
public sealed class EpochMillisecondsConverter : JsonConverter<DateTime>
{
    public override DateTime Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64()).UtcDateTime;

    public override void Write(Utf8JsonWriter writer, DateTime value, JsonSerializerOptions options) =>
        writer.WriteNumberValue(new DateTimeOffset(DateTime.SpecifyKind(value, DateTimeKind.Utc)).ToUnixTimeMilliseconds());
}
