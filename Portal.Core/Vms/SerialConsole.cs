using Portal.Core.Hosts;
using Portal.Core.Hypervisor;

namespace Portal.Core.Vms;

/// <summary>A piece of a VM's serial console output, and where the next read starts.</summary>
public sealed record ConsoleChunk(string Text, long NextOffset, string? Unavailable);

/// <summary>
/// Reads a VM's serial console from the log file its domain writes (&lt;serial type='file'&gt; or a &lt;log file&gt;), read-only;
/// the path comes from the domain XML only. A local host's file is read directly; a remote host's (qemu+ssh) through
/// libvirt, from the storage pool whose folder holds it.
/// </summary>
public sealed class SerialConsole(IHypervisor hypervisor, HostConnections hosts)
{
    public const int MaxChunkBytes = 64 * 1024;
    private const string NotWrittenYet = "The VM has not written to its console yet.";

    public async Task<ConsoleChunk> ReadAsync(Guid vmId, long offset, CancellationToken ct = default)
    {
        var uri = await hosts.HostOfDomainAsync(vmId, ct) is { } hostId && hosts.Find(hostId) is { } host ? host.Uri : hypervisor.Uri;
        string xml;
        try { xml = await hypervisor.GetDomainXmlAsync(vmId, inactive: false, ct); }
        catch (HypervisorException ex) { return new("", offset, ex.LibvirtMessage); }
        var path = LogPath(xml);
        if (path is null) return new("", offset, "This VM has no serial console log (a <serial type='file'> device, or a <serial> with a <log file>).");
        return IsLocal(uri) ? await ReadLocalAsync(path, offset, ct) : await ReadRemoteAsync(vmId, uri, path, offset, ct);
    }

    private static async Task<ConsoleChunk> ReadLocalAsync(string path, long offset, CancellationToken ct)
    {
        if (!File.Exists(path)) return new("", 0, NotWrittenYet);
        await using var f = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        // A new file (or one truncated by a fresh start) begins again at the start; a long backlog shows its tail.
        if (offset > f.Length) offset = 0;
        var start = Math.Max(offset, f.Length - MaxChunkBytes);
        f.Seek(start, SeekOrigin.Begin);
        var buffer = new byte[f.Length - start];
        var read = await f.ReadAtLeastAsync(buffer, buffer.Length, throwOnEndOfStream: false, ct);
        var (text, consumed) = ConsoleLogText.Read(buffer.AsSpan(0, read));
        return new(text, start + consumed, null);
    }

    private async Task<ConsoleChunk> ReadRemoteAsync(Guid vmId, string uri, string path, long offset, CancellationToken ct)
    {
        PoolFileRead? read;
        try { read = await (await hosts.ForDomainAsync(vmId, ct)).ReadPoolFileAsync(path, offset, MaxChunkBytes, ct); }
        catch (HypervisorException ex) { return new("", offset, ex.LibvirtMessage); }
        if (read is null)
        {
            var folder = Path.GetDirectoryName(path);
            return new("", offset, $"The console log is {path} on the host of {uri}, in no storage pool: the portal reads a remote " +
                $"host's files through libvirt's storage pools. Define a directory pool for {folder} on that host " +
                $"(virsh pool-define-as NAME dir --target {folder}; virsh pool-start NAME) and the log shows here.");
        }
        if (read.Length == 0) return new("", 0, NotWrittenYet);
        var (text, consumed) = ConsoleLogText.Read(read.Bytes);
        return new(text, read.Start + consumed, null);
    }

    /// <summary>
    /// The file the first logged serial port writes: a file serial port's own file, or the &lt;log file&gt; of any other
    /// (a pty the interactive console streams keeps a log this way).
    /// </summary>
    public static string? LogPath(string domainXml) =>
        DomainXml.Parse(domainXml).Root?.Element("devices")?.Elements("serial")
            .Select(s => (string?)s.Attribute("type") == "file"
                ? (string?)s.Element("source")?.Attribute("path")
                : (string?)s.Element("log")?.Attribute("file"))
            .FirstOrDefault(p => p is not null);

    private static bool IsLocal(string uri) =>
        uri.StartsWith("test://", StringComparison.Ordinal) || (Uri.TryCreate(uri, UriKind.Absolute, out var u) && string.IsNullOrEmpty(u.Host));
}
