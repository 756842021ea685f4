namespace Portal.Core.ImportExport;

/// <summary>
/// The text form of a memory volume reference in OVF and REST: six GUIDs, <c>sd,pool,dumpImage,dumpVol,confImage,confVol</c>
/// (oVirt 3.3's engine pair). The legacy single-volume form <c>domainId,poolId,imageId,volumeId</c> is accepted too.
/// Parsing is strict: GUIDs only, so no reference can name a path.
/// </summary>
public sealed record MemoryReference(Guid StorageDomainId, Guid PoolId, Guid DumpImageId, Guid DumpVolumeId, Guid? ConfImageId, Guid? ConfVolumeId)
{
    public override string ToString() => ConfImageId is { } ci && ConfVolumeId is { } cv
        ? $"{StorageDomainId},{PoolId},{DumpImageId},{DumpVolumeId},{ci},{cv}"
        : $"{StorageDomainId},{PoolId},{DumpImageId},{DumpVolumeId}";

    public static bool TryParse(string? text, out MemoryReference? reference, out string? error)
    {
        reference = null;
        error = null;
        if (string.IsNullOrWhiteSpace(text)) { error = "the memory reference is empty"; return false; }
        var parts = text.Trim().Split(',');
        if (parts.Length is not (4 or 6)) { error = $"a memory reference has 4 or 6 comma-separated GUIDs, not {parts.Length}"; return false; }
        var ids = new Guid[parts.Length];
        for (var i = 0; i < parts.Length; i++)
        {
            if (!Guid.TryParseExact(parts[i].Trim(), "D", out ids[i]))
            {
                error = $"'{Clip(parts[i])}' in the memory reference is not a GUID";
                return false;
            }
        }
        reference = parts.Length == 6
            ? new MemoryReference(ids[0], ids[1], ids[2], ids[3], ids[4], ids[5])
            : new MemoryReference(ids[0], ids[1], ids[2], ids[3], null, null);
        return true;
    }

    private static string Clip(string s) => s.Length > 40 ? s[..40] + "…" : s;
}
