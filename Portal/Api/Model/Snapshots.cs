using System.Text.Json.Serialization;
using System.Xml.Serialization;

namespace Portal.Api.Model;

[XmlRoot("snapshot")]
public sealed class SnapshotRepresentation : Identified
{
    [XmlElement("actions"), JsonPropertyName("actions")]
    public ActionLinks? Actions { get; set; }

    [XmlElement("description"), JsonPropertyName("description")]
    public string Description { get; set; } = "";

    [XmlElement("vm"), JsonPropertyName("vm")]
    public Ref? Vm { get; set; }

    [XmlIgnore, JsonPropertyName("date"), JsonConverter(typeof(OvirtDateConverter))]
    public DateTime Date { get; set; }

    /// <summary>XmlSerializer's own date format has seven fractional digits; this is oVirt's.</summary>
    [XmlElement("date"), JsonIgnore, System.ComponentModel.EditorBrowsable(System.ComponentModel.EditorBrowsableState.Never)]
    public string DateXml { get => OvirtDate.ToText(Date); set => Date = OvirtDate.Parse(value); }

    /// <summary>True when the snapshot holds the VM's memory.</summary>
    [XmlElement("persist_memorystate"), JsonPropertyName("persist_memorystate")]
    public bool PersistMemoryState { get; set; }

    /// <summary>ok, locked or in_preview.</summary>
    [XmlElement("snapshot_status"), JsonPropertyName("snapshot_status")]
    public string SnapshotStatus { get; set; } = "";

    /// <summary>regular, active, stateless or preview.</summary>
    [XmlElement("snapshot_type"), JsonPropertyName("snapshot_type")]
    public string SnapshotType { get; set; } = "";
}

[XmlRoot("snapshots")]
public sealed class SnapshotList
{
    [XmlElement("snapshot"), JsonPropertyName("snapshot")]
    public List<SnapshotRepresentation> Items { get; set; } = [];
}

/// <summary>The body of <c>POST /vms/{id}/snapshots</c> (documentation of the accepted shape).</summary>
public sealed class SnapshotInput
{
    [JsonPropertyName("description")]
    public string Description { get; set; } = "";

    /// <summary>Save the VM's memory too. Default when omitted: true (oVirt 4.x; oVirt 3.3 defaulted to false).</summary>
    [JsonPropertyName("persist_memorystate")]
    public bool? PersistMemoryState { get; set; }
}

/// <summary>The body of an action: <c>&lt;action&gt;&lt;snapshot id="…"/&gt;&lt;restore_memory&gt;true&lt;/restore_memory&gt;&lt;/action&gt;</c>.</summary>
public sealed class ActionInput
{
    /// <summary>The snapshot to preview (previewsnapshot only).</summary>
    [JsonPropertyName("snapshot")]
    public Ref? Snapshot { get; set; }

    /// <summary>Give the VM the snapshot's memory (previewsnapshot, restore). Default when omitted: true.</summary>
    [JsonPropertyName("restore_memory")]
    public bool? RestoreMemory { get; set; }
}
