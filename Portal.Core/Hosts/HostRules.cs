using System.Text.RegularExpressions;
using Portal.Core.Commands;

namespace Portal.Core.Hosts;

/// <summary>Small named checks for adding and removing hosts; each returns the reason it refuses, or null.</summary>
public static partial class HostRules
{
    public const int MaxNameLength = 64;
    public const int MaxUriLength = 1000;

    /// <summary>The libvirt drivers the portal works with: QEMU/KVM, and libvirt's test driver (a node file, for demos and tests).</summary>
    public static readonly string[] Drivers = ["qemu", "test"];

    /// <summary>
    /// libvirt's remote transports the portal opens (driver+transport://…); those that reach another machine need its
    /// name. Not ext: it runs a program the URI names.
    /// </summary>
    public static readonly string[] Transports = ["ssh", "libssh", "libssh2", "tcp", "tls", "unix"];
    private static readonly string[] NetworkTransports = ["ssh", "libssh", "libssh2", "tcp", "tls"];

    public const string UriExample = "qemu:///system or qemu+ssh://root@kvm2.example.com/system";

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._-]*$")]
    private static partial Regex NamePattern();

    [GeneratedRegex("^(?<driver>[a-z][a-z0-9]*)(\\+(?<transport>[a-z0-9]+))?://")]
    private static partial Regex SchemePattern();

    public static Refusal? NameIsValid(string? name)
    {
        if (string.IsNullOrWhiteSpace(name)) return Refusal.BadInput("Enter a name for the host.");
        if (name.Length > MaxNameLength) return Refusal.BadInput($"The name is {name.Length} characters long; at most {MaxNameLength} are allowed.");
        return NamePattern().IsMatch(name) ? null
            : Refusal.BadInput("A host name may contain only letters, digits, '.', '_' and '-', and must start with a letter or digit.");
    }

    /// <summary>
    /// libvirt's remote parameters that name a program: <c>command</c> (run here instead of ssh, or by ext) and
    /// <c>netcat</c> (run on the host by ssh). libvirt unescapes a parameter's name and compares it ignoring case, and
    /// splits parameters at '&amp;' and ';': so does this.
    /// </summary>
    private static readonly string[] ProgramParameters = ["command", "netcat"];

    private static string? ProgramParameter(string query) =>
        query.TrimStart('?').Split('&', ';')
            .Select(p => Uri.UnescapeDataString(p.Split('=', 2)[0]).Trim())
            .FirstOrDefault(name => ProgramParameters.Contains(name, StringComparer.OrdinalIgnoreCase))?.ToLowerInvariant();

    /// <summary>A libvirt connection URI the portal can open: driver[+transport]://[user@][host[:port]]/path[?parameters].</summary>
    public static Refusal? UriIsValid(string? uri)
    {
        if (string.IsNullOrWhiteSpace(uri)) return Refusal.BadInput($"Enter the host's libvirt URI, such as {UriExample}.");
        if (uri.Length > MaxUriLength) return Refusal.BadInput($"The URI is {uri.Length} characters long; at most {MaxUriLength} are allowed.");
        if (uri.Any(c => char.IsWhiteSpace(c) || char.IsControl(c))) return Refusal.BadInput("A libvirt URI contains no spaces or control characters.");
        var scheme = SchemePattern().Match(uri);
        if (!scheme.Success || !System.Uri.TryCreate(uri, UriKind.Absolute, out var parsed))
            return Refusal.BadInput($"'{uri}' is not a libvirt URI. Write it as driver[+transport]://[user@host]/path, such as {UriExample}.");
        var driver = scheme.Groups["driver"].Value;
        var transport = scheme.Groups["transport"].Success ? scheme.Groups["transport"].Value : null;
        if (!Drivers.Contains(driver))
            return Refusal.BadInput($"The portal manages hosts through libvirt's {string.Join(" or ", Drivers)} driver, not '{driver}'. Example: {UriExample}.");
        if (transport == "ext")
            return Refusal.BadInput("The ext transport runs a program of the URI's choosing on the portal's machine; add the host over ssh, tls or tcp.");
        if (transport is not null && !Transports.Contains(transport))
            return Refusal.BadInput($"'{transport}' is not a libvirt transport; use one of {string.Join(", ", Transports)} (as in qemu+ssh://root@host/system).");
        if (transport is not null && NetworkTransports.Contains(transport) && string.IsNullOrEmpty(parsed.Host))
            return Refusal.BadInput($"A {driver}+{transport} URI names the machine to reach, as in {driver}+{transport}://root@kvm2.example.com/system.");
        if (ProgramParameter(parsed.Query) is { } program)
            return Refusal.BadInput($"The URI's '{program}' parameter names a program to run (on the portal's machine or on the host); a host is added without it. " +
                                    "Put ssh options in the portal's service user's ~/.ssh/config instead.");
        if (driver == "qemu" && parsed.AbsolutePath is not ("/system" or "/session"))
            return Refusal.BadInput($"A qemu URI ends in /system (the system daemon, as oVirt uses) or /session, not '{parsed.AbsolutePath}'.");
        if (driver == "test" && parsed.AbsolutePath is "" or "/")
            return Refusal.BadInput("A test URI names a node file (test:///absolute/path/node.xml) or test:///default.");
        return null;
    }
}
