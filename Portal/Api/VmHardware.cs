using System.Collections.Concurrent;
using System.Globalization;
using System.Xml.Linq;
using Portal.Core;
using Portal.Core.Hypervisor;
using Portal.Core.Vms;

namespace Portal.Api;

/// <summary>What oVirt's VM representation tells about a domain's devices, read from its libvirt XML.</summary>
/// <param name="DisplayType">vnc or spice: the first such graphics device, vnc when there is none.</param>
/// <param name="Listen">The graphics' listen address; null when it listens everywhere or there is none.</param>
/// <param name="Port">Assigned by libvirt while the domain runs; null otherwise.</param>
public sealed record VmHardware(
    string DisplayType, string? Listen, int? Port, int? TlsPort, int Monitors,
    int Sockets, int Cores, int Threads, string Architecture,
    string BiosType, bool BootMenu, IReadOnlyList<string> BootDevices, int IoThreads, bool Ballooning, long? MaxMemoryBytes, bool UsbRedirection)
{
    /// <summary>A domain the portal could not read (its host is not connected): oVirt's defaults.</summary>
    public static readonly VmHardware Unknown = new("vnc", null, null, null, 1, 1, 1, 1, "x86_64", "i440fx_sea_bios", false, ["hd"], 0, false, null, false);

    public static VmHardware FromDomainXml(string xml)
    {
        var root = DomainXml.Parse(xml).Root ?? throw new FormatException("The domain XML is empty.");
        var devices = root.Element("devices");
        var graphics = devices?.Elements("graphics").FirstOrDefault(g => (string?)g.Attribute("type") is "vnc" or "spice");
        var listen = (string?)graphics?.Attribute("listen") ?? (string?)graphics?.Elements("listen").FirstOrDefault(l => (string?)l.Attribute("type") == "address")?.Attribute("address");
        if (listen is "0.0.0.0" or "::" or "") listen = null;

        var os = root.Element("os");
        var machine = (string?)os?.Element("type")?.Attribute("machine") ?? "";
        var efi = (string?)os?.Attribute("firmware") == "efi" || os?.Element("loader") is not null;
        var bios = machine.Contains("q35", StringComparison.OrdinalIgnoreCase) ? efi ? "q35_ovmf" : "q35_sea_bios" : "i440fx_sea_bios";
        var boot = os?.Elements("boot").Select(b => (string?)b.Attribute("dev") switch
        {
            "cdrom" => "cdrom",
            "network" => "network",
            _ => "hd",
        }).ToList() ?? [];

        var topology = root.Element("cpu")?.Element("topology");
        var vcpus = Int(root.Element("vcpu")?.Value) ?? 1;
        var balloon = (string?)devices?.Element("memballoon")?.Attribute("model");
        return new VmHardware(
            DisplayType: (string?)graphics?.Attribute("type") ?? "vnc",
            Listen: listen,
            Port: Int((string?)graphics?.Attribute("port")) is > 0 and var p ? p : null,
            TlsPort: Int((string?)graphics?.Attribute("tlsPort")) is > 0 and var t ? t : null,
            Monitors: Math.Max(1, devices?.Elements("video").Select(v => Int((string?)v.Element("model")?.Attribute("heads")) ?? 1).FirstOrDefault() ?? 1),
            Sockets: Int((string?)topology?.Attribute("sockets")) ?? vcpus,
            Cores: Int((string?)topology?.Attribute("cores")) ?? 1,
            Threads: Int((string?)topology?.Attribute("threads")) ?? 1,
            Architecture: (string?)os?.Element("type")?.Attribute("arch") switch
            {
                "ppc64" or "ppc64le" => "ppc64",
                "s390x" => "s390x",
                "aarch64" => "aarch64",
                _ => "x86_64",
            },
            BiosType: bios,
            BootMenu: (string?)os?.Element("bootmenu")?.Attribute("enable") == "yes",
            BootDevices: boot.Count > 0 ? boot : ["hd"],
            IoThreads: Int(root.Element("iothreads")?.Value) ?? 0,
            Ballooning: balloon is not null && balloon != "none",
            MaxMemoryBytes: MaxMemory(root.Element("maxMemory")),
            UsbRedirection: devices?.Elements("redirdev").Any(r => (string?)r.Attribute("bus") == "usb") == true);
    }

    private static int? Int(string? text) => int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) ? v : null;

    private static long? MaxMemory(XElement? max)
    {
        if (max is null || !long.TryParse(max.Value, NumberStyles.None, CultureInfo.InvariantCulture, out var v)) return null;
        return ((string?)max.Attribute("unit") ?? "KiB").ToLowerInvariant() switch
        {
            "b" or "bytes" => v, "m" or "mib" => v << 20, "g" or "gib" => v << 30, _ => v * 1024,
        };
    }
}

/// <summary>
/// Each VM's <see cref="VmHardware"/>, read from its host once per run: the entry is kept while the VM's status and
/// status time stay the same (a start gives new console ports). An entry older than a minute (edits made outside the
/// portal) is still answered, and read again in the background, so no request waits for thousands of domain reads
/// because the minute passed; the request after the refresh sees the new devices.
/// </summary>
public sealed partial class VmHardwareCache(IHypervisor hypervisor, TimeProvider clock, ILogger<VmHardwareCache> log)
{
    private static readonly TimeSpan Lifetime = TimeSpan.FromMinutes(1);
    private readonly ConcurrentDictionary<Guid, Entry> _entries = new();
    private readonly ConcurrentDictionary<Guid, byte> _refreshing = new();

    private sealed record Entry(VmStatus Status, DateTime Since, DateTimeOffset ReadAt, VmHardware Hardware);

    /// <summary>The VMs' hardware: cached entries at once, the others read from the host (at most eight calls at a time).</summary>
    public async Task<IReadOnlyDictionary<Guid, VmHardware>> GetAllAsync(IReadOnlyList<VmResourceRow> vms, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        var result = new Dictionary<Guid, VmHardware>(vms.Count);
        List<VmResourceRow>? missing = null, stale = null;
        foreach (var vm in vms)
        {
            if (Current(vm) is { } e)
            {
                result[vm.Id] = e.Hardware;
                if (now - e.ReadAt >= Lifetime && _refreshing.TryAdd(vm.Id, 0)) (stale ??= []).Add(vm);
            }
            else (missing ??= []).Add(vm);
        }
        if (missing is not null)
        {
            var read = new ConcurrentDictionary<Guid, VmHardware>();
            await Parallel.ForEachAsync(missing, new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = ct },
                async (vm, token) => read[vm.Id] = await ReadAsync(vm, token));
            foreach (var (id, hardware) in read) result[id] = hardware;
        }
        if (stale is not null) _ = RefreshAsync(stale);
        return result;
    }

    /// <summary>
    /// Reads the hardware of the VMs not cached yet, two at a time (a background pass, lighter on the host than a
    /// request's eight). Returns how many were read.
    /// </summary>
    public async Task<int> WarmAsync(IReadOnlyList<VmResourceRow> vms, CancellationToken ct)
    {
        var missing = vms.Where(vm => Current(vm) is null).ToList();
        await Parallel.ForEachAsync(missing, new ParallelOptions { MaxDegreeOfParallelism = 2, CancellationToken = ct },
            async (vm, token) => await ReadAsync(vm, token));
        return missing.Count;
    }

    /// <summary>Whether the VM's hardware is cached for its present status.</summary>
    internal bool Holds(VmResourceRow vm) => Current(vm) is not null;

    private Entry? Current(VmResourceRow vm) =>
        _entries.TryGetValue(vm.Id, out var e) && e.Status == vm.Status && e.Since == vm.StatusSince ? e : null;

    private async Task RefreshAsync(List<VmResourceRow> vms)
    {
        try
        {
            await Parallel.ForEachAsync(vms, new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (vm, token) => await ReadAsync(vm, token));
        }
        catch (Exception ex)
        {
            LogRefreshFailed(log, vms.Count, ex);
        }
        finally
        {
            foreach (var vm in vms) _refreshing.TryRemove(vm.Id, out _);
        }
    }

    private async Task<VmHardware> ReadAsync(VmResourceRow vm, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        VmHardware hardware;
        try { hardware = VmHardware.FromDomainXml(await hypervisor.GetDomainXmlAsync(vm.Id, inactive: false, ct)); }
        catch (Exception ex) when (ex is HypervisorException or System.Xml.XmlException or FormatException)
        {
            // Not reachable now (host down, domain gone): oVirt's defaults, not cached.
            _entries.TryRemove(vm.Id, out _);
            return VmHardware.Unknown;
        }
        _entries[vm.Id] = new Entry(vm.Status, vm.StatusSince, now, hardware);
        return hardware;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Refreshing the hardware of {Count} VMs in the background failed")]
    private static partial void LogRefreshFailed(ILogger log, int count, Exception ex);
}
