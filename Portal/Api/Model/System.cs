using System.Text.Json.Serialization;
using System.Xml.Serialization;

namespace Portal.Api.Model;

/// <summary>The API root: links to the collections and what answers.</summary>
[XmlRoot("api")]
public sealed class ApiRoot
{
    [XmlElement("link"), JsonPropertyName("link")]
    public List<Link> Links { get; set; } = [];

    [XmlElement("product_info"), JsonPropertyName("product_info")]
    public ProductInfo ProductInfo { get; set; } = new();

    [XmlIgnore, JsonPropertyName("time"), JsonConverter(typeof(OvirtDateConverter))]
    public DateTime Time { get; set; }

    /// <summary>XmlSerializer's own date format has seven fractional digits; this is oVirt's.</summary>
    [XmlElement("time"), JsonIgnore, System.ComponentModel.EditorBrowsable(System.ComponentModel.EditorBrowsableState.Never)]
    public string TimeXml { get => OvirtDate.ToText(Time); set => Time = OvirtDate.Parse(value); }
}

public sealed class ProductInfo
{
    [XmlElement("name"), JsonPropertyName("name")]
    public string Name { get; set; } = "";

    [XmlElement("vendor"), JsonPropertyName("vendor")]
    public string Vendor { get; set; } = "";

    [XmlElement("version"), JsonPropertyName("version")]
    public ProductVersion Version { get; set; } = new();
}

public sealed class ProductVersion
{
    [XmlElement("build"), JsonPropertyName("build")]
    public int Build { get; set; }

    [XmlElement("full_version"), JsonPropertyName("full_version")]
    public string FullVersion { get; set; } = "";

    [XmlElement("major"), JsonPropertyName("major")]
    public int Major { get; set; }

    [XmlElement("minor"), JsonPropertyName("minor")]
    public int Minor { get; set; }

    [XmlElement("revision"), JsonPropertyName("revision")]
    public int Revision { get; set; }
}

/// <summary>A compatibility version, major and minor.</summary>
public sealed class VersionRepresentation
{
    [XmlElement("major"), JsonPropertyName("major")]
    public int Major { get; set; }

    [XmlElement("minor"), JsonPropertyName("minor")]
    public int Minor { get; set; }
}

[XmlRoot("cluster")]
public sealed class ClusterRepresentation : Identified
{
    /// <summary>Null in a reference (a VM's cluster without <c>follow=cluster</c>).</summary>
    [XmlElement("name"), JsonPropertyName("name")]
    public string? Name { get; set; }

    /// <summary>The compatibility version; memory snapshots need 3.3 or later.</summary>
    [XmlElement("version"), JsonPropertyName("version")]
    public VersionRepresentation? Version { get; set; }

    public static ClusterRepresentation Reference(string href, Guid id) => new() { Href = href, Id = id.ToString() };
}

[XmlRoot("clusters")]
public sealed class ClusterList
{
    [XmlElement("cluster"), JsonPropertyName("cluster")]
    public List<ClusterRepresentation> Items { get; set; } = [];
}

[XmlRoot("host")]
public sealed class HostRepresentation : Identified
{
    [XmlElement("name"), JsonPropertyName("name")]
    public string Name { get; set; } = "";

    /// <summary>The host part of the libvirt URI (localhost for local and embedded hosts).</summary>
    [XmlElement("address"), JsonPropertyName("address")]
    public string Address { get; set; } = "";

    /// <summary>up while its libvirt connection is alive, connecting before it was first reached, non_responsive when it cannot be reached.</summary>
    [XmlElement("status"), JsonPropertyName("status")]
    public string Status { get; set; } = "";

    [XmlElement("cluster"), JsonPropertyName("cluster")]
    public Ref? Cluster { get; set; }
}

[XmlRoot("hosts")]
public sealed class HostList
{
    [XmlElement("host"), JsonPropertyName("host")]
    public List<HostRepresentation> Items { get; set; } = [];
}

[XmlRoot("storage_domain")]
public sealed class StorageDomainRepresentation : Identified
{
    [XmlElement("name"), JsonPropertyName("name")]
    public string Name { get; set; } = "";

    /// <summary>data or export.</summary>
    [XmlElement("type"), JsonPropertyName("type")]
    public string Type { get; set; } = "";

    [XmlElement("storage"), JsonPropertyName("storage")]
    public HostStorage Storage { get; set; } = new();

    /// <summary>Free bytes in the backing libvirt pool; absent when the pool cannot be read.</summary>
    [XmlElement("available"), JsonPropertyName("available")]
    public long? Available { get; set; }

    /// <summary>Used bytes in the backing libvirt pool; absent when the pool cannot be read.</summary>
    [XmlElement("used"), JsonPropertyName("used")]
    public long? Used { get; set; }

    /// <summary>An export domain's <c>vms</c> (the VMs exported to it), as oVirt links its sub-collections.</summary>
    [XmlElement("link"), JsonPropertyName("link")]
    public List<Link>? Links { get; set; }

    // XmlSerializer writes a null Nullable<T> as xsi:nil; these leave the element out instead.
    public bool ShouldSerializeAvailable() => Available.HasValue;
    public bool ShouldSerializeUsed() => Used.HasValue;
}

public sealed class HostStorage
{
    /// <summary>localfs for a File domain (a directory pool), fcp for a Block domain (an LVM or disk pool).</summary>
    [XmlElement("type"), JsonPropertyName("type")]
    public string Type { get; set; } = "";
}

[XmlRoot("storage_domains")]
public sealed class StorageDomainList
{
    [XmlElement("storage_domain"), JsonPropertyName("storage_domain")]
    public List<StorageDomainRepresentation> Items { get; set; } = [];
}

/// <summary>One audit-log entry, as an oVirt event.</summary>
[XmlRoot("event")]
public sealed class EventRepresentation : Identified
{
    /// <summary>The operation (Create snapshot, Run VM…).</summary>
    [XmlElement("name"), JsonPropertyName("name")]
    public string Name { get; set; } = "";

    [XmlElement("description"), JsonPropertyName("description")]
    public string Description { get; set; } = "";

    /// <summary>normal for a success, warning, or error for a failure.</summary>
    [XmlElement("severity"), JsonPropertyName("severity")]
    public string Severity { get; set; } = "";

    [XmlIgnore, JsonPropertyName("time"), JsonConverter(typeof(OvirtDateConverter))]
    public DateTime Time { get; set; }

    /// <summary>XmlSerializer's own date format has seven fractional digits; this is oVirt's.</summary>
    [XmlElement("time"), JsonIgnore, System.ComponentModel.EditorBrowsable(System.ComponentModel.EditorBrowsableState.Never)]
    public string TimeXml { get => OvirtDate.ToText(Time); set => Time = OvirtDate.Parse(value); }

    /// <summary>The position in the log; newer entries have higher indexes.</summary>
    [XmlElement("index"), JsonPropertyName("index")]
    public long Index { get; set; }

    [XmlElement("origin"), JsonPropertyName("origin")]
    public string Origin { get; set; } = "";

    [XmlElement("user"), JsonPropertyName("user")]
    public EventUser? User { get; set; }

    [XmlElement("vm"), JsonPropertyName("vm")]
    public Ref? Vm { get; set; }
}

public sealed class EventUser
{
    [XmlElement("user_name"), JsonPropertyName("user_name")]
    public string UserName { get; set; } = "";
}

[XmlRoot("events")]
public sealed class EventList
{
    [XmlElement("event"), JsonPropertyName("event")]
    public List<EventRepresentation> Items { get; set; } = [];
}
