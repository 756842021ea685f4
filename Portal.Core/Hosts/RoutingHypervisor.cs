using Portal.Core.Hypervisor;
using Portal.Core.Snapshots;
using Portal.Core.Vms;

namespace Portal.Core.Hosts;

/// <summary>
/// The <see cref="IHypervisor"/> that commands, the monitor and the queries use, over every host the portal manages:
/// <list type="bullet">
/// <item>a call about a domain goes to the connection of the host that holds it (<see cref="HostConnections.HostOfDomainAsync"/>),
/// and fails with <see cref="HostNotConnectedException"/> while that host is not connected;</item>
/// <item>defining a domain no host holds yet (an import) defines it on the primary host, unless a command placed it
/// first (a clone goes where its source VM is);</item>
/// <item>storage calls go to the primary host: storage domains are its pools, seen by the other hosts as shared storage
/// at the same paths, as the hosts of an oVirt data center share its storage domains;</item>
/// <item>lifecycle events come from every connected host, each carrying its host;</item>
/// <item>a call about a domain's snapshots (or its removal) waits until the portal has given its host back the
/// snapshot records it may have lost (<see cref="SnapshotRecordRestorer"/>).</item>
/// </list>
/// </summary>
public sealed class RoutingHypervisor(HostConnections hosts, SnapshotRecordRestorer records) : IHypervisor
{
    /// <summary>The primary host's URI.</summary>
    public string Uri => hosts.PrimaryUri;

    /// <summary>Whether the primary host is the test driver.</summary>
    public bool IsTestDriver => hosts.PrimaryIsTestDriver;

    public event Action<DomainLifecycleEvent>? LifecycleEvent
    {
        add => hosts.LifecycleEvent += value;
        remove => hosts.LifecycleEvent -= value;
    }

    /// <summary>Never raised: the router is not a connection. <see cref="HostConnections"/> follows each one's closing.</summary>
    public event Action<string>? ConnectionClosed
    {
        add { }
        remove { }
    }

    private Task<IHypervisor> On(Guid domainId, CancellationToken ct) => hosts.ForDomainAsync(domainId, ct);

    /// <summary>As <see cref="On"/>, for a call about the domain's snapshots: the records its host may have lost first.</summary>
    private async Task<IHypervisor> WithRecords(Guid domainId, CancellationToken ct)
    {
        await records.EnsureAsync(domainId, ct);
        return await hosts.ForDomainAsync(domainId, ct);
    }

    private IHypervisor Storage => hosts.PrimaryConnection();

    /// <summary>Whether the primary host's connection answers; false (not an exception) while it is disconnected.</summary>
    public async Task<bool> IsAliveAsync(CancellationToken ct = default)
    {
        IHypervisor primary;
        try { primary = hosts.PrimaryConnection(); }
        catch (HostNotConnectedException) { return false; }
        return await primary.IsAliveAsync(ct);
    }

    /// <summary>The domains of every connected host.</summary>
    public async Task<IReadOnlyList<DomainInfo>> ListDomainsAsync(CancellationToken ct = default)
    {
        var all = new List<DomainInfo>();
        foreach (var (_, connection) in hosts.Connected()) all.AddRange(await connection.ListDomainsAsync(ct));
        return all;
    }

    public async Task<DomainInfo?> FindDomainAsync(Guid id, CancellationToken ct = default) => await (await On(id, ct)).FindDomainAsync(id, ct);
    public async Task<string> GetDomainXmlAsync(Guid id, bool inactive, CancellationToken ct = default) => await (await On(id, ct)).GetDomainXmlAsync(id, inactive, ct);
    public async Task<IConsoleStream> OpenSerialConsoleAsync(Guid id, CancellationToken ct = default) => await (await On(id, ct)).OpenSerialConsoleAsync(id, ct);

    public async Task<DomainInfo> DefineDomainAsync(string xml, CancellationToken ct = default)
    {
        var (hostId, connection) = await ForConfigurationAsync(xml, ct);
        var info = await connection.DefineDomainAsync(xml, ct);
        if (hostId is { } placed) hosts.Place(info.Id, placed);
        return info;
    }

    public async Task UndefineDomainAsync(Guid id, CancellationToken ct = default) => await (await WithRecords(id, ct)).UndefineDomainAsync(id, ct);
    public async Task StartAsync(Guid id, CancellationToken ct = default) => await (await On(id, ct)).StartAsync(id, ct);
    public async Task DestroyAsync(Guid id, CancellationToken ct = default) => await (await On(id, ct)).DestroyAsync(id, ct);
    public async Task ShutdownAsync(Guid id, CancellationToken ct = default) => await (await On(id, ct)).ShutdownAsync(id, ct);
    public async Task SuspendAsync(Guid id, CancellationToken ct = default) => await (await On(id, ct)).SuspendAsync(id, ct);
    public async Task ResumeAsync(Guid id, CancellationToken ct = default) => await (await On(id, ct)).ResumeAsync(id, ct);
    public async Task<SnapshotTaken> CreateSnapshotAsync(Guid id, SnapshotRequest request, CancellationToken ct = default) => await (await WithRecords(id, ct)).CreateSnapshotAsync(id, request, ct);
    public async Task DeleteSnapshotAsync(Guid id, string name, CancellationToken ct = default) => await (await WithRecords(id, ct)).DeleteSnapshotAsync(id, name, ct);
    public async Task RedefineSnapshotAsync(Guid id, string snapshotXml, CancellationToken ct = default) => await (await WithRecords(id, ct)).RedefineSnapshotAsync(id, snapshotXml, ct);
    public async Task<IReadOnlyList<string>> ListSnapshotNamesAsync(Guid id, CancellationToken ct = default) => await (await WithRecords(id, ct)).ListSnapshotNamesAsync(id, ct);
    public async Task WaitForJobAsync(Guid id, CancellationToken ct = default) => await (await On(id, ct)).WaitForJobAsync(id, ct);
    public async Task<string?> GetSnapshotXmlAsync(Guid id, string name, CancellationToken ct = default) => await (await WithRecords(id, ct)).GetSnapshotXmlAsync(id, name, ct);
    public async Task RestoreFromMemoryAsync(Guid id, MemoryRestoreRequest request, CancellationToken ct = default) => await (await On(id, ct)).RestoreFromMemoryAsync(id, request, ct);

    /// <summary>The overlays are made in the pools of the host that will run the configuration.</summary>
    public async Task<string> WithFreshOverlaysAsync(string configurationXml, string tag, CancellationToken ct = default) =>
        await (await ForConfigurationAsync(configurationXml, ct)).Connection.WithFreshOverlaysAsync(configurationXml, tag, ct);

    public Task<PoolInfo> GetPoolAsync(string pool, CancellationToken ct = default) => Storage.GetPoolAsync(pool, ct);

    // Disk images live on the storage domains, which are the primary host's pools (shared with the other hosts).
    public Task<IReadOnlyList<string>> DeleteUnusedOverlaysAsync(IReadOnlyCollection<string> candidates, IReadOnlyCollection<string> inUse, CancellationToken ct = default) =>
        Storage.DeleteUnusedOverlaysAsync(candidates, inUse, ct);
    public Task<IReadOnlyList<PoolInfo>> ListPoolsAsync(CancellationToken ct = default) => Storage.ListPoolsAsync(ct);
    public Task<PoolInfo> CreatePoolAsync(string poolXml, bool overwrite, CancellationToken ct = default) => Storage.CreatePoolAsync(poolXml, overwrite, ct);
    public Task RemovePoolAsync(string pool, CancellationToken ct = default) => Storage.RemovePoolAsync(pool, ct);
    public Task StartPoolAsync(string pool, CancellationToken ct = default) => Storage.StartPoolAsync(pool, ct);
    public Task<VolumeRef> CreateVolumeAsync(string pool, string name, long bytes, bool preallocate, CancellationToken ct = default) =>
        Storage.CreateVolumeAsync(pool, name, bytes, preallocate, ct);
    public Task<bool> DeleteVolumeAsync(string pool, string name, CancellationToken ct = default) => Storage.DeleteVolumeAsync(pool, name, ct);
    public Task<IReadOnlyList<string>> ListVolumeNamesAsync(string pool, CancellationToken ct = default) => Storage.ListVolumeNamesAsync(pool, ct);
    public Task<VolumeRef> CopyVolumeAsync(string sourcePool, string sourceName, string targetPool, string targetName, long preallocateBytes,
        VolumeFormat format = VolumeFormat.Raw, CancellationToken ct = default) =>
        Storage.CopyVolumeAsync(sourcePool, sourceName, targetPool, targetName, preallocateBytes, format, ct);
    public Task<IReadOnlyList<DiskImage>> GetDiskImagesAsync(string configurationXml, CancellationToken ct = default) =>
        Storage.GetDiskImagesAsync(configurationXml, ct);
    public Task<string?> FindVolumePathAsync(string pool, string name, CancellationToken ct = default) => Storage.FindVolumePathAsync(pool, name, ct);
    public Task<PoolFileRead?> ReadPoolFileAsync(string path, long offset, int maxBytes, CancellationToken ct = default) =>
        Storage.ReadPoolFileAsync(path, offset, maxBytes, ct);

    /// <summary>The host of the domain a configuration describes (by its &lt;uuid&gt;), or the primary for one without.</summary>
    private async Task<(Guid? HostId, IHypervisor Connection)> ForConfigurationAsync(string xml, CancellationToken ct)
    {
        var uuid = DomainXml.Parse(xml).Root?.Element("uuid")?.Value;
        var hostId = Guid.TryParse(uuid, out var id) ? await hosts.HostOfDomainAsync(id, ct) : hosts.PrimaryId;
        return (hostId, hostId is { } h ? hosts.ConnectionOf(h) : hosts.PrimaryConnection());
    }
}
