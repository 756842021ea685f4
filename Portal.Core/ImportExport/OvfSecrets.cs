using System.Text.RegularExpressions;

namespace Portal.Core.ImportExport;

/// <summary>
/// The domain XML the portal reads from libvirt carries secrets (it is read with VIR_DOMAIN_XML_SECURE, so that a
/// restore defines the VM as it was): console passwords (<c>&lt;graphics passwd='…'&gt;</c>). An export must not
/// copy them to an export domain, which other portals and people read; the imported VM gets no console password,
/// and one is set again from the portal, as oVirt sets console tickets per session.
/// </summary>
public static partial class OvfSecrets
{
    public static string Strip(string xml) => SecretAttribute().Replace(xml, "");

    public static string? StripOrNull(string? xml) => xml is null ? null : Strip(xml);

    public static OvfVm Strip(OvfVm vm) => vm with
    {
        DomainXml = Strip(vm.DomainXml),
        Snapshots = vm.Snapshots.Select(s => s with { Configuration = Strip(s.Configuration), HypervisorXml = StripOrNull(s.HypervisorXml) }).ToList(),
    };

    /// <summary>passwd='…' and passwdValidTo='…' (graphics), password='…' (any element): quoted either way, escaped or not.</summary>
    [GeneratedRegex("""\s(?:passwd|passwdValidTo|password)\s*=\s*(?:"[^"]*"|'[^']*'|&quot;.*?&quot;|&apos;.*?&apos;)""", RegexOptions.IgnoreCase)]
    private static partial Regex SecretAttribute();
}
