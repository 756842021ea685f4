using System.ComponentModel.DataAnnotations;

namespace Portal.Core;

/// <summary>The "Portal" configuration section.</summary>
public sealed class PortalOptions
{
    public const string Section = "Portal";

    /// <summary>Where the database, the embedded host's node file and its storage live.</summary>
    /// <remarks>Default: <c>data</c>, relative to the working directory.</remarks>
    [Required] public string DataDirectory { get; set; } = "data";

    /// <summary>The first admin's password. When unset, one is generated and printed once.</summary>
    /// <remarks>Default: null. Environment: <c>Portal__AdminPassword</c>.</remarks>
    public string? AdminPassword { get; set; }

    /// <summary>The first admin's user name.</summary>
    /// <remarks>Default: <c>admin</c>.</remarks>
    [Required, MinLength(1)] public string AdminUser { get; set; } = "admin";

    /// <summary>Test only: kill the process with SIGKILL when an operation reaches this journal step (<see cref="Commands.CrashPoints"/>).</summary>
    /// <remarks>Default: null (never). Form: <c>Kind:step</c> or <c>Kind:step+milliseconds</c>.</remarks>
    public string? CrashAt { get; set; }

    /// <summary>Test only: print every journal step an operation reaches (<c>JOURNAL-STEP Kind:step</c>).</summary>
    /// <remarks>Default: false.</remarks>
    public bool TraceSteps { get; set; }
}

/// <summary>The "Libvirt" configuration section.</summary>
public sealed class LibvirtOptions
{
    public const string Section = "Libvirt";

    /// <summary>The hypervisor: <c>qemu:///system</c>, <c>qemu+ssh://host/system</c>, or a <c>test:///</c> node file.</summary>
    /// <remarks>Default: null, which means the embedded test driver with demo VMs, written into the data folder.</remarks>
    public string? Uri { get; set; }

    /// <summary>
    /// Data storage pools (libvirt pool names) to register as data domains on a real host when they are not registered
    /// yet. The kind follows the pool's type: <c>dir</c>, <c>fs</c>, <c>netfs</c> make File domains, <c>logical</c> (an
    /// LVM volume group) and <c>disk</c> (a partitioned device) make Block domains.
    /// </summary>
    /// <remarks>Default: empty; the embedded host brings its own. More domains can be added on the Storage page.</remarks>
    public string[] DataPools { get; set; } = [];

    /// <summary>Export storage pools (libvirt pool names, directory pools) to register as export domains on a real host.</summary>
    /// <remarks>Default: empty.</remarks>
    public string[] ExportPools { get; set; } = [];
}

/// <summary>A start-up failure that is fully explained by its one-sentence message.</summary>
public sealed class PortalStartupException(string message, Exception? inner = null) : Exception(message, inner);
