using System.Text.RegularExpressions;
using Portal.Core.Audit;
using Portal.Core.Snapshots;
using Portal.Core.Vms;
using Portal.E2E.Infrastructure;
using Portal.E2E.Pages;

namespace Portal.E2E.RealHost;

/// <summary>
/// What an operator does on a real QEMU host, through the portal's pages, each step waiting as long as the host may
/// take: libvirt 9.0 probes QEMU's capabilities again on every define and restore here (8–60 s), and the guest boots
/// under TCG. The guest's console is read in the browser's Console tab.
/// </summary>
public sealed class RealHostSteps(IPage page, PortalDatabase db)
{
    public static readonly TimeSpan Slow = TimeSpan.FromMinutes(3);

    /// <summary>
    /// A real-host test that runs longer than this has hung (the longest passes in about 3 minutes on 2 cores): it fails
    /// with xunit's timeout instead of holding the CI run until its hard limit.
    /// </summary>
    public const int TestTimeoutMs = 12 * 60 * 1000;
    private static float SlowMs => (float)Slow.TotalMilliseconds;

    /// <summary>
    /// How many COUNTER lines the serial log can be behind the guest right after a memory snapshot returns. QEMU writes
    /// a line to the log when the serial port's pty takes it, and while no console reads the pty that can be seconds
    /// later: a CI run read 4 right after the snapshot, and the guest restored from it went on at 7. So the restored
    /// guest's first line is at most this many, plus the line printed as the pause began, after what was read then.
    /// </summary>
    public const int LogLag = 3;

    public IPage Page => page;

    /// <summary>What the guest printed after a run, and the statuses the VM went through.</summary>
    public sealed record RunOutput(string Text, IReadOnlyList<VmStatus> Statuses);

    public async Task<Guid> OpenVmAsync(string vm)
    {
        await new PortalShell(page).Navigation.GetByRole(AriaRole.Link, new() { Name = "Virtual machines", Exact = true }).ClickAsync();
        await new VmsPage(page).Link(vm).ClickAsync();
        await Expect(page).ToHaveURLAsync(new Regex("/vms/[0-9a-f-]{36}$"));
        await new PortalShell(page).WaitInteractiveAsync();
        // The circuit stays interactive across an in-app navigation: wait for the details page itself, or a click
        // may land on the VMs grid's own "Run {vm}" button as it is taken down.
        await Expect(new VmDetailsPage(page).Name).ToHaveTextAsync(vm);
        return Guid.Parse(page.Url[^36..]);
    }

    public async Task<(string BootId, int Counter)> RunAndWaitForCountersAsync(string vm, int atLeast)
    {
        await page.GetByRole(AriaRole.Button, new() { Name = $"Run {vm}", Exact = true }).ClickAsync();
        await Expect(page.GetByTestId("vm-status")).ToHaveAttributeAsync("data-status", "Up", new() { Timeout = SlowMs });
        await WaitForCounterAsync(atLeast);
        var last = (await CountersAsync()).Last();
        return (last.BootId, last.Counter);
    }

    /// <summary>Takes a snapshot with memory (on <paramref name="domain"/> when given) and waits until it is Ok.</summary>
    public async Task<Guid> CreateMemorySnapshotAsync(string vm, string description, string? domain = null)
    {
        await page.GetByRole(AriaRole.Tab, new() { Name = "Snapshots" }).ClickAsync();
        await page.GetByTestId("snapshot-create").ClickAsync();
        var dialog = new CreateSnapshotDialog(page);
        await dialog.Description.FillAsync(description);
        await Expect(dialog.SaveMemory).ToBeCheckedAsync();
        if (domain is not null)
        {
            await Expect(dialog.MemoryDomain).ToHaveValueAsync(new Regex(" · "), new() { Timeout = SlowMs });
            await dialog.MemoryDomain.ClickAsync();
            await page.GetByRole(AriaRole.Option).Filter(new() { HasText = $"{domain} · " }).ClickAsync();
            await Expect(dialog.MemoryDomain).ToHaveValueAsync(new Regex($"^{Regex.Escape(domain)} · "));
        }
        await dialog.Create.ClickAsync();
        var snapshot = await Poll.UntilAsync(async () => (await db.SnapshotsAsync(vm)).FirstOrDefault(s => s.Description == description && s.Status == SnapshotStatus.Ok),
            s => s is not null, "the memory snapshot to be Ok", Slow);
        Assert.NotNull(snapshot!.MemoryVolumeId);
        await Expect(page.GetByTestId($"snapshot-{snapshot.Id}-memory")).ToHaveAttributeAsync("data-has-memory", "true");
        await Expect(page.GetByTestId("vm-status")).ToHaveAttributeAsync("data-status", "Up");
        return snapshot.Id;
    }

    /// <summary>Takes a snapshot without memory (Save Memory cleared) and waits until it is Ok.</summary>
    public async Task<Guid> CreateDiskSnapshotAsync(string vm, string description)
    {
        await page.GetByRole(AriaRole.Tab, new() { Name = "Snapshots" }).ClickAsync();
        await page.GetByTestId("snapshot-create").ClickAsync();
        var dialog = new CreateSnapshotDialog(page);
        await dialog.Description.FillAsync(description);
        await Checkbox.SetAsync(dialog.SaveMemory, false);
        await dialog.Create.ClickAsync();
        var snapshot = await Poll.UntilAsync(async () => (await db.SnapshotsAsync(vm)).FirstOrDefault(s => s.Description == description && s.Status == SnapshotStatus.Ok),
            s => s is not null, "the snapshot to be Ok", Slow);
        Assert.Null(snapshot!.MemoryVolumeId);
        await Expect(page.GetByTestId($"snapshot-{snapshot.Id}-memory")).ToHaveAttributeAsync("data-has-memory", "false");
        return snapshot.Id;
    }

    /// <summary>Previews a snapshot without memory: no Restore Memory popup.</summary>
    public async Task PreviewWithoutMemoryAsync(Guid snapshotId)
    {
        await page.GetByRole(AriaRole.Tab, new() { Name = "Snapshots" }).ClickAsync();
        await page.GetByTestId($"snapshot-{snapshotId}-preview").ClickAsync();
        await Expect(page.GetByTestId("vm-in-preview")).ToBeVisibleAsync(new() { Timeout = SlowMs });
        await Expect(page.GetByTestId("vm-locked-by")).ToHaveCountAsync(0, new() { Timeout = SlowMs });
    }

    /// <summary>Commits the snapshot in preview, through the confirmation; waits for its audit entry.</summary>
    public async Task CommitAsync(string vm)
    {
        var audit = await db.AuditMarkAsync();
        await page.GetByRole(AriaRole.Tab, new() { Name = "Snapshots" }).ClickAsync();
        var confirm = new ConfirmDialog(page, "Commit snapshot");
        await DialogOpener.OpenAsync(page.GetByTestId("snapshot-commit"), confirm.Dialog);
        await confirm.ConfirmAsync();
        await Expect(page.GetByTestId("vm-in-preview")).ToHaveCountAsync(0, new() { Timeout = SlowMs });
        await WaitForAuditAsync(audit, vm, "Commit snapshot");
    }

    /// <summary>
    /// Stops the VM when it runs: a test of the class that failed half-way leaves it running, and the next test should
    /// fail for its own reasons, if any, not for that one.
    /// </summary>
    public async Task StopIfRunningAsync(string vm)
    {
        if (await page.GetByTestId("vm-status").GetAttributeAsync("data-status") == "Up") await StopAsync(vm);
    }

    public async Task StopAsync(string vm)
    {
        await page.GetByRole(AriaRole.Button, new() { Name = $"Stop {vm}", Exact = true }).ClickAsync();
        await Expect(page.GetByTestId("vm-status")).ToHaveAttributeAsync("data-status", "Down", new() { Timeout = SlowMs });
        await Expect(page.GetByTestId("vm-locked-by")).ToHaveCountAsync(0, new() { Timeout = SlowMs });
    }

    public async Task PreviewAsync(Guid snapshotId, bool restoreMemory)
    {
        await page.GetByRole(AriaRole.Tab, new() { Name = "Snapshots" }).ClickAsync();
        await page.GetByTestId($"snapshot-{snapshotId}-preview").ClickAsync();
        var restore = page.GetByTestId("preview-restore-memory");
        await Expect(restore).ToBeCheckedAsync();
        if (!restoreMemory) await Checkbox.SetAsync(restore, false);
        await page.GetByTestId("preview-ok").ClickAsync();
        await Expect(page.GetByTestId("vm-in-preview")).ToBeVisibleAsync(new() { Timeout = SlowMs });
        await Expect(page.GetByTestId("vm-locked-by")).ToHaveCountAsync(0, new() { Timeout = SlowMs });
    }

    /// <summary>Undoes the preview (the VM Down) and waits until the VM is out of it, unlocked.</summary>
    public async Task UndoAsync(string vm)
    {
        var audit = await db.AuditMarkAsync();
        await page.GetByRole(AriaRole.Tab, new() { Name = "Snapshots" }).ClickAsync();
        await page.GetByTestId("snapshot-undo").ClickAsync();
        await Expect(page.GetByTestId("vm-in-preview")).ToHaveCountAsync(0, new() { Timeout = SlowMs });
        await Expect(page.GetByTestId("vm-locked-by")).ToHaveCountAsync(0, new() { Timeout = SlowMs });
        await WaitForAuditAsync(audit, vm, "Undo preview");
    }

    /// <summary>Removes a snapshot (the VM Down) through its row's Remove and the confirmation; waits for its audit entry.</summary>
    public async Task<AuditEntry> RemoveSnapshotAsync(string vm, Guid snapshotId)
    {
        var audit = await db.AuditMarkAsync();
        await page.GetByRole(AriaRole.Tab, new() { Name = "Snapshots" }).ClickAsync();
        var confirm = new ConfirmDialog(page, "Remove snapshot");
        await DialogOpener.OpenAsync(page.GetByTestId($"snapshot-{snapshotId}-remove"), confirm.Dialog);
        await confirm.ConfirmAsync();
        await Expect(page.GetByTestId($"snapshot-{snapshotId}-remove")).ToHaveCountAsync(0, new() { Timeout = SlowMs });
        return await WaitForAuditAsync(audit, vm, "Remove snapshot");
    }

    public async Task SetStatelessAsync(string vm, bool stateless)
    {
        await page.GetByRole(AriaRole.Tab, new() { Name = "General" }).ClickAsync();
        var toggle = page.GetByTestId("vm-stateless-toggle");
        if (await toggle.IsCheckedAsync() != stateless) await toggle.ClickAsync();
        await Poll.UntilAsync(async () => (await db.VmAsync(vm)).IsStateless, v => v == stateless, "the stateless flag", Slow);
    }

    /// <summary>Exports the VM (Down) to the first export domain and waits for the export's audit entry.</summary>
    public async Task<AuditEntry> ExportAsync(string vm)
    {
        var audit = await db.AuditMarkAsync();
        await new VmDetailsPage(page).ExportButton.ClickAsync();
        var dialog = new ExportVmDialog(page);
        await Expect(dialog.Collapse).Not.ToBeCheckedAsync();
        await dialog.Export.ClickAsync();
        await Expect(dialog.Dialog).ToBeHiddenAsync(new() { Timeout = SlowMs });
        return await WaitForAuditAsync(audit, vm, "Export VM");
    }

    public async Task RemoveVmAsync(string vm)
    {
        var audit = await db.AuditMarkAsync();
        var confirm = new ConfirmDialog(page, "Remove VM");
        await DialogOpener.OpenAsync(new VmDetailsPage(page).RemoveButton, confirm.Dialog);
        await confirm.ConfirmAsync();
        await Expect(page).ToHaveURLAsync(new Regex("/vms$"), new() { Timeout = SlowMs });
        await WaitForAuditAsync(audit, vm, "Remove VM");
    }

    /// <summary>Imports the exported VM from the Storage page into <paramref name="targetDomain"/>; returns its id once its page shows.</summary>
    public async Task<(Guid Id, AuditEntry Audit)> ImportAsync(string vm, string exportDomain, string targetDomain, string? asCloneNamed = null)
    {
        var storage = await OpenStorageAsync();
        await Expect(storage.ExportedRow(exportDomain, vm)).ToBeVisibleAsync();
        var audit = await db.AuditMarkAsync();
        await storage.ImportButton(vm).ClickAsync();
        var dialog = new ImportVmDialog(page);
        // The dialog lists the data domains once the host has told their free space; until then the select is empty.
        await Expect(dialog.Target).ToContainTextAsync(" · ", new() { Timeout = SlowMs });
        await dialog.Target.ClickAsync();
        await page.GetByRole(AriaRole.Option).Filter(new() { HasText = $"{targetDomain} · " }).ClickAsync();
        await Expect(dialog.Target).ToContainTextAsync($"{targetDomain} · ");
        if (asCloneNamed is not null)
        {
            await Checkbox.SetAsync(dialog.AsClone, true);
            await dialog.Name.FillAsync(asCloneNamed);
        }
        await dialog.Import.ClickAsync();
        await Expect(dialog.Dialog).ToBeHiddenAsync(new() { Timeout = SlowMs });
        await Expect(page).ToHaveURLAsync(new Regex("/vms/[0-9a-f-]{36}$"));
        await Expect(new VmDetailsPage(page).Name).ToHaveTextAsync(asCloneNamed ?? vm);
        return (Guid.Parse(page.Url[^36..]), await WaitForAuditAsync(audit, asCloneNamed ?? vm, "Import VM"));
    }

    /// <summary>Clones the open VM's snapshot into <paramref name="name"/> (its memory left behind); returns the clone's id once its page shows.</summary>
    public async Task<Guid> CloneAsync(string vm, Guid snapshotId, string name, bool hasMemory = true)
    {
        var audit = await db.AuditMarkAsync();
        await page.GetByRole(AriaRole.Tab, new() { Name = "Snapshots" }).ClickAsync();
        await page.GetByTestId($"snapshot-{snapshotId}-clone").ClickAsync();
        var dialog = new CloneVmDialog(page);
        await Expect(dialog.Name).ToBeVisibleAsync();
        await Expect(dialog.MemoryWarning).ToHaveCountAsync(hasMemory ? 1 : 0);
        await dialog.Name.FillAsync(name);
        await dialog.Clone.ClickAsync();
        await Expect(dialog.Dialog).ToBeHiddenAsync(new() { Timeout = SlowMs });
        await Expect(page).ToHaveURLAsync(new Regex("/vms/[0-9a-f-]{36}$"));
        await Expect(new VmDetailsPage(page).Name).ToHaveTextAsync(name);
        // With memory, a warning: the snapshot's memory was left behind.
        var entry = await WaitForAuditAsync(audit, vm, "Clone VM from snapshot", hasMemory ? AuditOutcome.Warning : AuditOutcome.Success);
        Assert.Equal(hasMemory, entry.Message.Contains("memory was discarded", StringComparison.Ordinal));
        return Guid.Parse(page.Url[^36..]);
    }

    public async Task<StoragePage> OpenStorageAsync()
    {
        await new PortalShell(page).Navigation.GetByRole(AriaRole.Link, new() { Name = "Storage domains", Exact = true }).ClickAsync();
        await Expect(page).ToHaveURLAsync(new Regex("/storage$"));
        await new PortalShell(page).WaitInteractiveAsync();
        return new StoragePage(page);
    }

    /// <summary>Adds a Block data domain on <paramref name="device"/> (a new disk pool) through the Add storage domain dialog.</summary>
    public Task AddBlockDomainAsync(string name, string device) =>
        AddDomainAsync(name, "Block: a partitioned device (disk pool)", device, "Data · Block");

    /// <summary>Adds a File data domain in <paramref name="directory"/> (a new directory pool) through the Add storage domain dialog.</summary>
    public Task AddFileDomainAsync(string name, string directory) =>
        AddDomainAsync(name, "File: a new directory pool", directory, "Data · File");

    private async Task AddDomainAsync(string name, string kind, string location, string type)
    {
        var storage = await OpenStorageAsync();
        var audit = await db.AuditMarkAsync();
        await storage.AddButton.ClickAsync();
        var dialog = new AddStorageDomainDialog(page);
        await dialog.Name.FillAsync(name);
        await dialog.Kind.ClickAsync();
        await dialog.Option(kind).ClickAsync();
        await (kind.StartsWith("Block", StringComparison.Ordinal) ? dialog.Device : dialog.Directory).FillAsync(location);
        await dialog.Add.ClickAsync();
        var entry = (await db.WaitForAuditAsync(audit)).Single();
        Assert.True(entry.Outcome == AuditOutcome.Success, entry.Message);
        await Expect(dialog.Dialog).ToBeHiddenAsync(new() { Timeout = SlowMs });
        await Expect(storage.Type(name)).ToHaveTextAsync(type);
    }

    /// <summary>Runs the VM and returns what its console printed after that, and the status sequence it went through.</summary>
    public async Task<RunOutput> RunAndReadNewOutputAsync(string vm, string waitFor = "COUNTER")
    {
        // The console view keeps its last lines only, so what is new is found after the last line seen now. The view
        // fills in after the tab opens: wait for the lines the guest printed before, or "new" would be all of them.
        var before = await Poll.UntilAsync(ConsoleTextAsync, t => GuestConsole.Counters(t).Count > 0, "the console to show the guest's earlier output", Slow);
        var anchor = before.TrimEnd('\n').Split('\n').Last();
        var mark = await db.TransitionMarkAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = $"Run {vm}", Exact = true }).ClickAsync();
        await Expect(page.GetByTestId("vm-status")).ToHaveAttributeAsync("data-status", "Up", new() { Timeout = SlowMs });
        await Expect(page.GetByTestId("vm-locked-by")).ToHaveCountAsync(0, new() { Timeout = SlowMs });
        var text = await Poll.UntilAsync(async () =>
        {
            var now = await ConsoleTextAsync();
            var at = now.LastIndexOf(anchor, StringComparison.Ordinal);
            var added = at < 0 ? null : now[(at + anchor.Length)..];
            return added is not null && Regex.Matches(added, Regex.Escape(waitFor)).Count > 0 && GuestConsole.Counters(added).Count >= 2 ? added : null;
        }, t => t is not null, "the guest's console to print after the run", Slow);
        return new RunOutput(text!, await db.StatusSequenceAsync(vm, mark));
    }

    public async Task WaitForCounterAsync(int counter) =>
        await Poll.UntilAsync(async () => (await CountersAsync()).LastOrDefault()?.Counter ?? -1, c => c >= counter, $"COUNTER {counter}", Slow);

    public async Task<IReadOnlyList<GuestLine>> CountersAsync() => GuestConsole.Counters(await ConsoleTextAsync());

    /// <summary>
    /// The Console tab's text. Opening the tab makes a new view that fills in from the log a moment later; every caller
    /// reads it after the guest has printed, so an empty view is waited out.
    /// </summary>
    public async Task<string> ConsoleTextAsync()
    {
        var tab = page.GetByRole(AriaRole.Tab, new() { Name = "Console", Exact = true });
        var log = page.GetByRole(AriaRole.Tab, new() { Name = "Log", Exact = true });
        var console = page.GetByTestId("vm-console");
        if (await tab.GetAttributeAsync("aria-selected") != "true") await tab.ClickAsync();
        // The Console tab opens on the interactive terminal; the log of the serial port is its own tab.
        if (await log.GetAttributeAsync("aria-selected") != "true")
        {
            await log.ClickAsync();
            await Expect(console).ToHaveTextAsync(new Regex(@"\S"), new() { Timeout = SlowMs });
        }
        return await console.InnerTextAsync();
    }

    private async Task<AuditEntry> WaitForAuditAsync(long mark, string vm, string operation, AuditOutcome outcome = AuditOutcome.Success)
    {
        var entries = await Poll.UntilAsync(() => db.AuditAsync(mark, vm), a => a.Any(e => e.Operation == operation), $"the audit entry of '{operation}' on {vm}", Slow);
        var entry = entries.Last(e => e.Operation == operation);
        Assert.True(entry.Outcome == outcome, $"{operation} on {vm}: {entry.Outcome}: {entry.Message}");
        return entry;
    }
}
