using System.Text.Json.Serialization;
using System.Xml.Serialization;

namespace Portal.Api.Model;

[XmlRoot("vm")]
public sealed class VmRepresentation : Identified
{
    [XmlElement("actions"), JsonPropertyName("actions")]
    public ActionLinks? Actions { get; set; }

    [XmlElement("name"), JsonPropertyName("name")]
    public string Name { get; set; } = "";

    [XmlElement("link"), JsonPropertyName("link")]
    public List<Link> Links { get; set; } = [];

    /// <summary>Bytes, as in oVirt.</summary>
    [XmlElement("memory"), JsonPropertyName("memory")]
    public long Memory { get; set; }

    [XmlElement("stateless"), JsonPropertyName("stateless")]
    public bool Stateless { get; set; }

    /// <summary>oVirt's vm_status: down, wait_for_launch, powering_up, up, paused, saving_state, restoring_state, suspended, powering_down, image_locked, not_responding.</summary>
    [XmlElement("status"), JsonPropertyName("status")]
    public string Status { get; set; } = "";

    [XmlElement("cluster"), JsonPropertyName("cluster")]
    public Ref? Cluster { get; set; }

    [XmlElement("host"), JsonPropertyName("host")]
    public Ref? Host { get; set; }
}

[XmlRoot("vms")]
public sealed class VmList
{
    [XmlElement("vm"), JsonPropertyName("vm")]
    public List<VmRepresentation> Items { get; set; } = [];
}
