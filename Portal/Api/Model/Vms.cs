using System.Text.Json.Serialization;
using System.Xml.Serialization;

namespace Portal.Api.Model;

/// <summary>
/// A VM. Besides the portal's own fields it carries the blocks oVirt always writes and its clients read without
/// checking for absence: <c>display</c> (libgovirt drops a VM without it), and <c>bios</c>, <c>cpu</c>, <c>io</c>,
/// <c>memory_policy</c>, <c>os</c>, <c>sso</c>, <c>usb</c>, <c>high_availability</c> (Ansible's <c>ovirt_vm</c> compares
/// them on every run). Their values come from the libvirt domain.
/// </summary>
[XmlRoot("vm")]
public sealed class VmRepresentation : Identified
{
    [XmlElement("actions"), JsonPropertyName("actions")]
    public ActionLinks? Actions { get; set; }

    [XmlElement("name"), JsonPropertyName("name")]
    public string Name { get; set; } = "";

    [XmlElement("link"), JsonPropertyName("link")]
    public List<Link> Links { get; set; } = [];

    [XmlElement("bios"), JsonPropertyName("bios")]
    public BiosRepresentation? Bios { get; set; }

    [XmlElement("cpu"), JsonPropertyName("cpu")]
    public CpuRepresentation? Cpu { get; set; }

    /// <summary>The console: vnc or spice from the domain's graphics (vnc when it has none), with address and port when known.</summary>
    [XmlElement("display"), JsonPropertyName("display")]
    public DisplayRepresentation? Display { get; set; }

    [XmlElement("high_availability"), JsonPropertyName("high_availability")]
    public HighAvailabilityRepresentation? HighAvailability { get; set; }

    [XmlElement("io"), JsonPropertyName("io")]
    public IoRepresentation? Io { get; set; }

    /// <summary>Bytes, as in oVirt.</summary>
    [XmlElement("memory"), JsonPropertyName("memory")]
    public long Memory { get; set; }

    [XmlElement("memory_policy"), JsonPropertyName("memory_policy")]
    public MemoryPolicyRepresentation? MemoryPolicy { get; set; }

    [XmlElement("os"), JsonPropertyName("os")]
    public OsRepresentation? Os { get; set; }

    [XmlElement("sso"), JsonPropertyName("sso")]
    public SsoRepresentation? Sso { get; set; }

    [XmlElement("stateless"), JsonPropertyName("stateless")]
    public bool Stateless { get; set; }

    /// <summary>oVirt's vm_status: down, wait_for_launch, powering_up, up, paused, saving_state, restoring_state, suspended, powering_down, image_locked, not_responding.</summary>
    [XmlElement("status"), JsonPropertyName("status")]
    public string Status { get; set; } = "";

    [XmlElement("usb"), JsonPropertyName("usb")]
    public EnabledRepresentation? Usb { get; set; }

    /// <summary>A reference; the whole cluster with <c>follow=cluster</c>.</summary>
    [XmlElement("cluster"), JsonPropertyName("cluster")]
    public ClusterRepresentation? Cluster { get; set; }

    [XmlElement("host"), JsonPropertyName("host")]
    public Ref? Host { get; set; }

    /// <summary>Only with <c>follow=snapshots</c> (otherwise the <c>snapshots</c> link); JSON <c>{"snapshot": [...]}</c>, as oVirt nests lists.</summary>
    [XmlElement("snapshots"), JsonPropertyName("snapshots")]
    public SnapshotList? Snapshots { get; set; }

    /// <summary>Only on a VM listed on an export domain (<c>/storagedomains/{id}/vms</c>): the domain that holds it.</summary>
    [XmlElement("storage_domain"), JsonPropertyName("storage_domain")]
    public Ref? StorageDomain { get; set; }
}

[XmlRoot("vms")]
public sealed class VmList : IOvirtCollection
{
    [XmlElement("vm"), JsonPropertyName("vm")]
    public List<VmRepresentation> Items { get; set; } = [];

    string IOvirtCollection.ElementName => "vms";
    Type IOvirtCollection.ItemType => typeof(VmRepresentation);
    System.Collections.IEnumerable IOvirtCollection.Items => Items;
}

public sealed class DisplayRepresentation
{
    /// <summary>vnc or spice.</summary>
    [XmlElement("type"), JsonPropertyName("type")]
    public string Type { get; set; } = "vnc";

    /// <summary>Where the console listens: the graphics' listen address, or the host's address when it listens on every address.</summary>
    [XmlElement("address"), JsonPropertyName("address")]
    public string? Address { get; set; }

    /// <summary>Only while the VM runs (libvirt assigns it at start).</summary>
    [XmlElement("port"), JsonPropertyName("port")]
    public int? Port { get; set; }

    [XmlElement("secure_port"), JsonPropertyName("secure_port")]
    public int? SecurePort { get; set; }

    [XmlElement("monitors"), JsonPropertyName("monitors")]
    public int Monitors { get; set; } = 1;

    [XmlElement("allow_override"), JsonPropertyName("allow_override")]
    public bool AllowOverride { get; set; }

    [XmlElement("smartcard_enabled"), JsonPropertyName("smartcard_enabled")]
    public bool SmartcardEnabled { get; set; }

    public bool ShouldSerializePort() => Port.HasValue;
    public bool ShouldSerializeSecurePort() => SecurePort.HasValue;
}

public sealed class BiosRepresentation
{
    [XmlElement("boot_menu"), JsonPropertyName("boot_menu")]
    public EnabledRepresentation BootMenu { get; set; } = new();

    /// <summary>oVirt's bios_type: i440fx_sea_bios, q35_sea_bios, q35_ovmf.</summary>
    [XmlElement("type"), JsonPropertyName("type")]
    public string Type { get; set; } = "";
}

public sealed class EnabledRepresentation
{
    [XmlElement("enabled"), JsonPropertyName("enabled")]
    public bool Enabled { get; set; }
}

public sealed class CpuRepresentation
{
    [XmlElement("architecture"), JsonPropertyName("architecture")]
    public string Architecture { get; set; } = "";

    [XmlElement("topology"), JsonPropertyName("topology")]
    public CpuTopologyRepresentation Topology { get; set; } = new();
}

public sealed class CpuTopologyRepresentation
{
    [XmlElement("cores"), JsonPropertyName("cores")]
    public int Cores { get; set; } = 1;

    [XmlElement("sockets"), JsonPropertyName("sockets")]
    public int Sockets { get; set; } = 1;

    [XmlElement("threads"), JsonPropertyName("threads")]
    public int Threads { get; set; } = 1;
}

public sealed class HighAvailabilityRepresentation
{
    /// <summary>Always false: the portal does not restart VMs elsewhere.</summary>
    [XmlElement("enabled"), JsonPropertyName("enabled")]
    public bool Enabled { get; set; }

    [XmlElement("priority"), JsonPropertyName("priority")]
    public int Priority { get; set; }
}

public sealed class IoRepresentation
{
    [XmlElement("threads"), JsonPropertyName("threads")]
    public int Threads { get; set; }
}

public sealed class MemoryPolicyRepresentation
{
    [XmlElement("ballooning"), JsonPropertyName("ballooning")]
    public bool Ballooning { get; set; }

    /// <summary>Bytes; the whole memory (libvirt does not overcommit a domain's memory by itself).</summary>
    [XmlElement("guaranteed"), JsonPropertyName("guaranteed")]
    public long Guaranteed { get; set; }

    /// <summary>Bytes: the domain's maximum memory (memory hotplug), or its memory.</summary>
    [XmlElement("max"), JsonPropertyName("max")]
    public long Max { get; set; }
}

public sealed class OsRepresentation
{
    [XmlElement("boot"), JsonPropertyName("boot")]
    public BootRepresentation Boot { get; set; } = new();

    /// <summary>oVirt's operating system id; the portal does not know the guest's, so always <c>other</c>.</summary>
    [XmlElement("type"), JsonPropertyName("type")]
    public string Type { get; set; } = "other";
}

public sealed class BootRepresentation
{
    /// <summary>hd, cdrom, network, in the domain's boot order.</summary>
    [XmlElement("devices"), JsonPropertyName("devices")]
    public BootDevices Devices { get; set; } = new();
}

public sealed class BootDevices
{
    [XmlElement("device"), JsonPropertyName("device")]
    public List<string> Items { get; set; } = [];
}

/// <summary>No single sign-on methods: the portal has no guest agent integration.</summary>
public sealed class SsoRepresentation;

/// <summary>A virtual NUMA node of a VM (oVirt's vm_numa_node), from a cell of the domain's <c>cpu/numa</c>.</summary>
[XmlRoot("vm_numa_node")]
public sealed class NumaNodeRepresentation : Identified
{
    [XmlElement("index"), JsonPropertyName("index")]
    public int Index { get; set; }

    /// <summary>MiB, as oVirt writes it.</summary>
    [XmlElement("memory"), JsonPropertyName("memory")]
    public long Memory { get; set; }

    [XmlElement("cpu"), JsonPropertyName("cpu")]
    public NumaCpu Cpu { get; set; } = new();

    [XmlElement("vm"), JsonPropertyName("vm")]
    public Ref? Vm { get; set; }
}

public sealed class NumaCpu
{
    [XmlElement("cores"), JsonPropertyName("cores")]
    public NumaCores Cores { get; set; } = new();
}

public sealed class NumaCores
{
    [XmlElement("core"), JsonPropertyName("core")]
    public List<NumaCore> Items { get; set; } = [];
}

public sealed class NumaCore
{
    [XmlElement("index"), JsonPropertyName("index")]
    public int Index { get; set; }
}

[XmlRoot("vm_numa_nodes")]
public sealed class NumaNodeList
{
    [XmlElement("vm_numa_node"), JsonPropertyName("vm_numa_node")]
    public List<NumaNodeRepresentation> Items { get; set; } = [];
}
