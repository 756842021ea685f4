using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Portal.Api.Model;
using Portal.Core.Vms;

namespace Portal.Api;

/// <summary>A domain's NUMA cells as oVirt's virtual NUMA nodes (read only).</summary>
internal static class NumaNodes
{
    public static List<NumaNodeRepresentation> FromDomainXml(Guid vmId, string xml)
    {
        var cells = DomainXml.Parse(xml).Root?.Element("cpu")?.Element("numa")?.Elements("cell") ?? [];
        return cells.Select((cell, i) =>
        {
            var index = int.TryParse((string?)cell.Attribute("id"), NumberStyles.None, CultureInfo.InvariantCulture, out var id) ? id : i;
            var id2 = NodeId(vmId, index);
            return new NumaNodeRepresentation
            {
                Href = $"{ApiPaths.Vm(vmId)}/numanodes/{id2}",
                Id = id2.ToString(),
                Index = index,
                Memory = MiB((string?)cell.Attribute("memory"), (string?)cell.Attribute("unit")),
                Cpu = new NumaCpu { Cores = new NumaCores { Items = Cpus((string?)cell.Attribute("cpus")).Select(c => new NumaCore { Index = c }).ToList() } },
                Vm = Ref.To(ApiPaths.Vm(vmId), vmId),
            };
        }).ToList();
    }

    /// <summary>A stable id for a cell: the portal keeps no row for it.</summary>
    private static Guid NodeId(Guid vmId, int index) =>
        new(SHA256.HashData(Encoding.UTF8.GetBytes($"{vmId}/numa/{index}")).AsSpan(0, 16));

    /// <summary>libvirt's cpuset: "0-3,6,^2".</summary>
    private static IEnumerable<int> Cpus(string? set)
    {
        var cpus = new SortedSet<int>();
        foreach (var part in (set ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var exclude = part.StartsWith('^');
            var range = (exclude ? part[1..] : part).Split('-');
            if (!int.TryParse(range[0], out var from)) continue;
            var to = range.Length > 1 && int.TryParse(range[1], out var t) ? t : from;
            for (var c = from; c <= to && c - from < 4096; c++)
                if (exclude) cpus.Remove(c); else cpus.Add(c);
        }
        return cpus;
    }

    private static long MiB(string? value, string? unit)
    {
        if (!long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var v)) return 0;
        return (unit ?? "KiB").ToLowerInvariant() switch
        {
            "b" or "bytes" => v >> 20, "m" or "mib" => v, "g" or "gib" => v << 10, _ => v >> 10,
        };
    }
}
