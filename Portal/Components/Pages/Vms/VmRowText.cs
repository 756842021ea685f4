using System.Collections.Concurrent;
using System.Net;
using System.Text;
using Microsoft.AspNetCore.Components;
using MudBlazor;
using Portal.Components.Pages.Shared;
using Portal.Core;
using Portal.Core.Commands;
using Portal.Core.Vms;

namespace Portal.Components.Pages.Vms;

/// <summary>
/// What the VMs grid shows of one VM as text: its row's class, its buttons' names and test ids, the name cell, the
/// fact cells (host, memory, stateless) and the status chip as markup, and the reasons its buttons are refused. The same
/// for every page that shows the VM, so every circuit shares one: tens of administrators on the VMs page, which most of
/// them open at its first page, held each row's text once per page (two thirds of a page's strings), and now once.
/// Kept while some page holds it (the cache keeps weak references only); made again when the VM's name or memory
/// changes, and the fact cells or the chip when what they show changes. The cluster cell is the same for every VM of a
/// cluster, so it is shared by every row (<see cref="ClusterCell"/>).
/// </summary>
internal sealed class VmRowText
{
    private static readonly ConcurrentDictionary<(Guid Id, string Name, int MemoryMiB), WeakReference<VmRowText>> Shown = new();
    private const int SweepEvery = 256;
    private static int _made;

    private VmRowText(Guid id, string name, int memoryMiB)
    {
        Id = id;
        Name = name;
        MemoryMiB = memoryMiB;
        RowClass = $"mud-table-row vm-row vm-{name}";
        RunName = $"Run {name}";
        RunId = $"vm-{name}-run";
        StopName = $"Stop {name}";
        StopId = $"vm-{name}-stop";
    }

    public Guid Id { get; }
    public string Name { get; }
    public int MemoryMiB { get; }
    public string RowClass { get; }
    public string RunName { get; }
    public string RunId { get; }
    public string StopName { get; }
    public string StopId { get; }

    /// <summary>The shared text of the VM shown by <paramref name="vm"/>'s row.</summary>
    public static VmRowText For(VmRow vm)
    {
        var key = (vm.Id, vm.Name, vm.MemoryMiB);
        if (Shown.TryGetValue(key, out var weak) && weak.TryGetTarget(out var shared)) return shared;
        // No page holds it (or none did yet). Two pages racing here each make one and the later is kept: both work.
        var made = new VmRowText(vm.Id, vm.Name, vm.MemoryMiB);
        Shown[key] = new WeakReference<VmRowText>(made);
        if (Interlocked.Increment(ref _made) % SweepEvery == 0) Sweep();
        return made;
    }

    /// <summary>Drops the entries of VMs that no page shows any more.</summary>
    private static void Sweep()
    {
        foreach (var entry in Shown)
            if (!entry.Value.TryGetTarget(out _)) Shown.TryRemove(entry);
    }

    /// <summary>Entries in the cache (tests): those of rows some page shows, and at most a sweep's worth of others.</summary>
    internal static int CachedCount => Shown.Count;

    /// <summary>The name cell: a link to the VM's page, and a chip when its domain is gone from the host.</summary>
    public MarkupString NameCell(bool missing) => missing
        ? _missingName ??= new($"<td class=\"mud-table-cell\">{Link}{Chip("mud-chip-size-small mud-chip-outlined mud-chip-color-error", "missing on host")}</td>")
        : _name ??= new($"<td class=\"mud-table-cell\">{Link}</td>");

    // Styled as MudBlazor's primary link from portal.css (.vm-grid td > a): its four classes were 70 characters a row.
    private string Link => $"<a href=\"vms/{Id}\" data-testid=\"vm-{Html(Name)}-link\">{Html(Name)}</a>";
    private MarkupString? _name, _missingName;

    /// <summary>
    /// The cluster cell (its name and compatibility version as a chip): one markup for every VM of the cluster, in
    /// every page. It was a fifth of each row's text.
    /// </summary>
    public static MarkupString ClusterCell(VmRow vm)
    {
        var key = (vm.Cluster, vm.CompatibilityVersion, vm.ClusterSupportsMemory);
        if (ClusterCells.TryGetValue(key, out var cell)) return cell;
        // A handful of clusters per portal; renamed clusters and changed versions leave entries behind, so a bound.
        if (ClusterCells.Count >= 1024) ClusterCells.Clear();
        return ClusterCells.GetOrAdd(key, k => new MarkupString(
            $"<td class=\"mud-table-cell\">{Html(k.Cluster)}{CompatibilityChip(k.CompatibilityVersion, k.ClusterSupportsMemory)}</td>"));
    }

    private static readonly ConcurrentDictionary<(string Cluster, string CompatibilityVersion, bool ClusterSupportsMemory), MarkupString> ClusterCells = new();

    /// <summary>
    /// The host (with why it cannot be reached), memory and stateless cells, made again only when one of them changes.
    /// The status is not among them (see <see cref="Status"/>): a status change then replaces one chip in every page, not
    /// four cells.
    /// </summary>
    public MarkupString FactCells(VmRow vm)
    {
        var facts = new RowFacts(vm.Host, vm.HostProblem, vm.IsStateless);
        if (_facts is { } made && made.Facts == facts) return made.Markup;
        var html = new StringBuilder(512);
        html.Append("<td class=\"mud-table-cell\">").Append(Html(facts.Host ?? "-"));
        if (facts.HostProblem is { } problem)
            html.Append(IconMarkup.Svg($"<title>{Html(problem)}</title>{Icons.Material.Filled.LinkOff}", "mud-error-text mud-icon-size-small ml-1",
                $"role=\"img\" aria-label=\"{Html(problem)}\" data-testid=\"vm-{Html(Name)}-host-problem\""));
        html.Append("</td><td class=\"mud-table-cell\">").Append(MemoryMiB).Append(" MiB</td><td class=\"mud-table-cell\">");
        if (facts.Stateless)
            html.Append(IconMarkup.Svg(Icons.Material.Filled.CheckCircle, "mud-primary-text mud-icon-size-small",
                $"role=\"img\" aria-label=\"Stateless\" data-testid=\"vm-{Html(Name)}-stateless\""));
        html.Append("</td>");
        var markup = new MarkupString(html.ToString());
        // Pages that render the same change race to store it; any of their equal results will do.
        _facts = new FactsMarkup(facts, markup);
        return markup;
    }

    private sealed record FactsMarkup(RowFacts Facts, MarkupString Markup);
    private volatile FactsMarkup? _facts;

    /// <summary>The status chip (data-status: the enum's name, for tests), made again only when the status changes.</summary>
    public MarkupString Status(VmStatus status)
    {
        if (_status is { } made && made.Status == status) return made.Markup;
        var markup = new MarkupString(Chip(StatusClasses[status], Html(Rules.Describe(status)), $"data-testid=\"vm-{Html(Name)}-status\" data-status=\"{status}\""));
        _status = new StatusMarkup(status, markup);
        return markup;
    }

    private sealed record StatusMarkup(VmStatus Status, MarkupString Markup);
    private volatile StatusMarkup? _status;

    /// <summary>
    /// Why Run (or Stop) is refused, as its tooltip: the same text as the last time any page asked, so that the pages
    /// showing the row hold one string, not one each (the reasons are made anew by each check).
    /// </summary>
    public string? RunRefusal(string? reason) => Same(ref _runRefusal, reason);

    /// <inheritdoc cref="RunRefusal"/>
    public string? StopRefusal(string? reason) => Same(ref _stopRefusal, reason);

    private string? _runRefusal, _stopRefusal;

    private static string? Same(ref string? last, string? reason)
    {
        if (reason is null) return null;
        var seen = Volatile.Read(ref last);
        if (seen == reason) return seen;
        Volatile.Write(ref last, reason);
        return reason;
    }

    private readonly record struct RowFacts(string? Host, string? HostProblem, bool Stateless);

    private static readonly Dictionary<VmStatus, string> StatusClasses = Enum.GetValues<VmStatus>()
        .ToDictionary(s => s, s => $"mud-chip-filled mud-chip-size-small {StatusChip.ColorClass(s)}");

    /// <summary>The cluster's compatibility version as a chip (primary when the cluster can save memory).</summary>
    private static string CompatibilityChip(string version, bool memory) => Chip(
        $"mud-chip-size-small mud-chip-outlined {(memory ? "mud-chip-color-primary" : "mud-chip-color-default")}", Html(version), "title=\"Compatibility version\"");

    private static string Html(string text) => WebUtility.HtmlEncode(text);

    /// <summary>MudChip's markup: <paramref name="content"/> and <paramref name="attributes"/> must already be encoded.</summary>
    private static string Chip(string classes, string content, string? attributes = null) =>
        $"<div class=\"mud-chip-container\"><div class=\"mud-chip {classes}\"{(attributes is null ? "" : " " + attributes)}><span class=\"mud-chip-content\">{content}</span></div></div>";
}
