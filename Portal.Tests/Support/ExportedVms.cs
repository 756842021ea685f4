using Portal.Core.ImportExport;

namespace Portal.Tests.Support;

/// <summary>
/// Exported VMs as an export domain holds them, for tests and benchmarks that fill one without exporting: a chain of
/// snapshots, each the parent of the next, the last one Active. Also compiled into Portal.E2E and Portal.Benchmarks.
/// </summary>
public static class ExportedVms
{
    /// <summary>A libvirt definition small enough for the test driver and the OVF reader: a name and 512 MiB.</summary>
    public const string DomainXml = "<domain type='test'><name>x</name><memory unit='KiB'>524288</memory></domain>";

    /// <summary>
    /// <paramref name="name"/> exported at <paramref name="exportedAt"/> with <paramref name="snapshots"/> snapshots a minute
    /// apart, the first <paramref name="withMemory"/> of them with a memory volume of 1 MiB on <paramref name="memoryDomain"/>.
    /// <paramref name="snapshot"/> may change each one as it is made (its index, the snapshot), e.g. to add disks.
    /// </summary>
    public static OvfVm Chain(string name, DateTime exportedAt, int snapshots = 2, int withMemory = 0, string domainXml = DomainXml,
        Guid? memoryDomain = null, Func<int, OvfSnapshot, OvfSnapshot>? snapshot = null)
    {
        var list = new List<OvfSnapshot>(snapshots);
        Guid? parent = null;
        for (var i = 0; i < snapshots; i++)
        {
            var id = Guid.NewGuid();
            var memory = i < withMemory
                ? new MemoryReference(memoryDomain ?? Guid.NewGuid(), Guid.Empty, Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid())
                : null;
            var made = new OvfSnapshot(id, i == snapshots - 1 ? OvfDocument.ActiveType : OvfDocument.RegularType, $"snapshot {i}",
                exportedAt.AddMinutes(i - snapshots), parent, memory, memory is null ? 0 : 1 << 20, domainXml, null, null);
            list.Add(snapshot is null ? made : snapshot(i, made));
            parent = id;
        }
        return new OvfVm(Guid.NewGuid(), name, "Default", "4.8", false, 512, exportedAt, domainXml, list);
    }
}
