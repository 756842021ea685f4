using System.Text.RegularExpressions;
using Portal.Core.Vms;
using Portal.E2E.Infrastructure;
using Portal.E2E.Pages;

namespace Portal.E2E.RealHost;

/// <summary>The steps the real-host tests share, done as a user does them in the browser.</summary>
public abstract class RealHostTest(RealHostFixture portal) : PortalTest(portal)
{
    /// <summary>How long a step may take: libvirt 9.0 re-probes QEMU on every XML parse here, 8-60 s under load.</summary>
    protected static readonly TimeSpan Boot = TimeSpan.FromMinutes(3);

    // ---- steps, as a user does them ----

    /// <summary>The image the VM's Active configuration writes to.</summary>
    protected async Task<string> ActiveDiskFileAsync(string vm)
    {
        var active = (await Db.SnapshotsAsync(vm)).Single(s => s.Type == global::Portal.Core.Snapshots.SnapshotType.Active);
        return Assert.Single(DomainXml.DiskFiles(active.ConfigurationXml));
    }

    protected sealed record Details(IPage Page, Guid Id);

    protected async Task<Details> OpenAsync(string vm)
    {
        var id = await OpenVmDetailsAsync(vm);
        return new Details(Page, id);
    }

    protected async Task<(string BootId, int Counter)> RunAndWaitForCountersAsync(Details d, string vm, int atLeast)
    {
        await d.Page.GetByRole(AriaRole.Button, new() { Name = $"Run {vm}", Exact = true }).ClickAsync();
        await Expect(d.Page.GetByTestId("vm-status")).ToHaveAttributeAsync("data-status", "Up", new() { Timeout = (float)Boot.TotalMilliseconds });
        await WaitForCounterAsync(d, atLeast);
        var last = (await CountersAsync(d)).Last();
        return (last.BootId, last.Counter);
    }

    protected async Task<Guid> CreateMemorySnapshotAsync(Details d, string vm, string description)
    {
        await d.Page.GetByRole(AriaRole.Tab, new() { Name = "Snapshots" }).ClickAsync();
        await d.Page.GetByTestId("snapshot-create").ClickAsync();
        await d.Page.GetByTestId("create-snapshot-description").FillAsync(description);
        await Expect(d.Page.GetByTestId("create-snapshot-save-memory")).ToBeCheckedAsync();
        await d.Page.GetByTestId("create-snapshot-ok").ClickAsync();
        var snapshot = await Poll.UntilAsync(async () => (await Db.SnapshotsAsync(vm)).FirstOrDefault(s => s.Description == description && s.Status == global::Portal.Core.Snapshots.SnapshotStatus.Ok),
            s => s is not null, "the memory snapshot to be Ok", Boot);
        Assert.NotNull(snapshot!.MemoryVolumeId);
        await Expect(d.Page.GetByTestId($"snapshot-{snapshot.Id}-memory")).ToHaveAttributeAsync("data-has-memory", "true");
        await Expect(d.Page.GetByTestId("vm-status")).ToHaveAttributeAsync("data-status", "Up");
        return snapshot.Id;
    }

    protected async Task StopAsync(Details d, string vm)
    {
        await d.Page.GetByRole(AriaRole.Button, new() { Name = $"Stop {vm}", Exact = true }).ClickAsync();
        await Expect(d.Page.GetByTestId("vm-status")).ToHaveAttributeAsync("data-status", "Down", new() { Timeout = (float)Boot.TotalMilliseconds });
        await Expect(d.Page.GetByTestId("vm-locked-by")).ToHaveCountAsync(0, new() { Timeout = (float)Boot.TotalMilliseconds });
    }

    protected async Task PreviewAsync(Details d, Guid snapshotId, bool restoreMemory)
    {
        await d.Page.GetByRole(AriaRole.Tab, new() { Name = "Snapshots" }).ClickAsync();
        await d.Page.GetByTestId($"snapshot-{snapshotId}-preview").ClickAsync();
        var restore = d.Page.GetByTestId("preview-restore-memory");
        await Expect(restore).ToBeCheckedAsync();
        if (!restoreMemory) await restore.UncheckAsync();
        await d.Page.GetByTestId("preview-ok").ClickAsync();
        await Expect(d.Page.GetByTestId("vm-in-preview")).ToBeVisibleAsync(new() { Timeout = (float)Boot.TotalMilliseconds });
        await Expect(d.Page.GetByTestId("vm-locked-by")).ToHaveCountAsync(0, new() { Timeout = (float)Boot.TotalMilliseconds });
    }

    protected async Task SetStatelessAsync(Details d, bool stateless)
    {
        await d.Page.GetByRole(AriaRole.Tab, new() { Name = "General" }).ClickAsync();
        var toggle = d.Page.GetByTestId("vm-stateless-toggle");
        if (await toggle.IsCheckedAsync() != stateless) await toggle.ClickAsync();
        await Poll.UntilAsync(async () => (await Db.VmAsync("tiny-stateless")).IsStateless, v => v == stateless, "the stateless flag", Boot);
    }

    protected sealed record RunOutput(string Text, IReadOnlyList<VmStatus> Statuses);

    /// <summary>Runs the VM and returns what its console printed after that, and the status sequence it went through.</summary>
    protected async Task<RunOutput> RunAndReadNewOutputAsync(Details d, string vm, string waitFor = "COUNTER")
    {
        // The console view keeps its last lines only, so what is new is found after the last line seen now.
        var anchor = (await ConsoleTextAsync(d)).TrimEnd('\n').Split('\n').Last();
        var mark = await Db.TransitionMarkAsync();
        await d.Page.GetByRole(AriaRole.Button, new() { Name = $"Run {vm}", Exact = true }).ClickAsync();
        await Expect(d.Page.GetByTestId("vm-status")).ToHaveAttributeAsync("data-status", "Up", new() { Timeout = (float)Boot.TotalMilliseconds });
        await Expect(d.Page.GetByTestId("vm-locked-by")).ToHaveCountAsync(0, new() { Timeout = (float)Boot.TotalMilliseconds });
        var text = await Poll.UntilAsync(async () =>
        {
            var now = await ConsoleTextAsync(d);
            var at = anchor.Length == 0 ? 0 : now.LastIndexOf(anchor, StringComparison.Ordinal);
            var added = at < 0 ? null : now[(at + anchor.Length)..];
            return added is not null && Regex.Matches(added, Regex.Escape(waitFor)).Count > 0 && GuestConsole.Counters(added).Count >= 2 ? added : null;
        }, t => t is not null, "the guest's console to print after the run", Boot);
        return new RunOutput(text!, await Db.StatusSequenceAsync(vm, mark));
    }

    protected async Task WaitForCounterAsync(Details d, int counter) =>
        await Poll.UntilAsync(async () => (await CountersAsync(d)).LastOrDefault()?.Counter ?? -1, c => c >= counter, $"COUNTER {counter}", Boot);

    protected async Task<IReadOnlyList<GuestLine>> CountersAsync(Details d) => GuestConsole.Counters(await ConsoleTextAsync(d));

    protected static async Task<string> ConsoleTextAsync(Details d)
    {
        var tab = d.Page.GetByRole(AriaRole.Tab, new() { Name = "Console" });
        if (await tab.GetAttributeAsync("aria-selected") != "true") await tab.ClickAsync();
        return await d.Page.GetByTestId("vm-console").InnerTextAsync();
    }
}
