using Portal.Core.Hosts;
using Portal.Core.Vms;
using static Portal.E2E.Infrastructure.DemoVms;

namespace Portal.E2E.Reliability;

/// <summary>
/// One operation of the kill drill: how to bring the demo host to where it can run (<see cref="Setup"/>), the operation
/// itself (<see cref="Act"/>, whose reply may never come), and how to run it again after the restart, whatever the
/// recovery did with the interrupted run (<see cref="Again"/>: it must succeed).
/// </summary>
/// <param name="Kind">The command's journal kind (its Operation name), which names its kill points.</param>
public sealed record DrillCase(string Name, string Kind, Func<DrillPortal, Task> Setup, Func<DrillPortal, Task> Act, Func<DrillPortal, Task> Again)
{
    public override string ToString() => Name;
}

public static class DrillCases
{
    private static Task Nothing(DrillPortal _) => Task.CompletedTask;

    /// <summary>web-frontend stopped with a snapshot "s1" that holds memory.</summary>
    private static async Task StoppedWithMemorySnapshot(DrillPortal p)
    {
        await p.SnapshotAsync(WebFrontend, "s1");
        await p.StopAsync(WebFrontend);
    }

    private static async Task InPreviewWithMemory(DrillPortal p)
    {
        await StoppedWithMemorySnapshot(p);
        await p.PreviewAsync(WebFrontend, (await p.NewestSnapshotAsync(WebFrontend))!.Value);
    }

    private static async Task Preview(DrillPortal p) => await p.PreviewAsync(WebFrontend, (await p.NewestSnapshotAsync(WebFrontend))!.Value);

    private static async Task EnsureInPreview(DrillPortal p)
    {
        if (!await p.InPreviewAsync(WebFrontend)) await Preview(p);
    }

    private static async Task EnsureDown(DrillPortal p, string vm)
    {
        if (await p.StatusAsync(vm) != VmStatus.Down) await p.StopAsync(vm);
    }

    private static string OtherNode(DrillPortal p) =>
        DemoNode.WriteNode(Path.Combine(p.Process.DataDirectory, "other-host", "node.xml"),
            [new DemoNode.NodeVm("other-vm", Guid.Parse("6b2f1d63-1e4c-4f6b-8d2a-3c4e5f600001"), 256, Running: false)]);

    private static async Task AddHost(DrillPortal p) => await p.PostAsync("/hosts", new { name = "other", address = OtherNode(p) });

    private static async Task AddStorage(DrillPortal p, string name) =>
        await p.PostAsync("/storagedomains", new { name, type = "data", storage = new { type = "localfs", path = Path.Combine(p.Process.DataDirectory, "storage", name) } });

    private static async Task Export(DrillPortal p, bool overwrite) =>
        await p.PostAsync($"/vms/{await p.VmIdAsync(WebFrontend)}/export", new { storage_domain = new { name = "export-file" }, exclusive = overwrite });

    private static async Task Import(DrillPortal p, string? name, bool clone) =>
        await p.PostAsync($"/storagedomains/{await p.DomainIdAsync("export-file")}/vms/{Guid.Parse(WebFrontendId)}/import",
            new { storage_domain = new { name = "data-file" }, clone, vm = name is null ? null : new { name } });

    private const string WebFrontendId = "5a1e0c52-0d3b-4a5e-9c51-2f0a7b1e0001";

    public static readonly IReadOnlyList<DrillCase> All =
    [
        new("create snapshot with memory", "Create snapshot", Nothing,
            p => p.SnapshotAsync(WebFrontend, "drill"),
            p => p.SnapshotAsync(WebFrontend, "again")),

        new("create snapshot without memory", "Create snapshot", Nothing,
            p => p.SnapshotAsync(BuildAgent, "drill", memory: false),
            p => p.SnapshotAsync(BuildAgent, "again", memory: false)),

        new("preview with memory", "Preview snapshot", StoppedWithMemorySnapshot,
            Preview,
            async p =>
            {
                if (await p.InPreviewAsync(WebFrontend)) await p.PostAsync($"/vms/{await p.VmIdAsync(WebFrontend)}/undosnapshot");
                await Preview(p);
            }),

        new("commit", "Commit snapshot", InPreviewWithMemory,
            async p => await p.PostAsync($"/vms/{await p.VmIdAsync(WebFrontend)}/commitsnapshot"),
            async p =>
            {
                await EnsureInPreview(p);
                await p.PostAsync($"/vms/{await p.VmIdAsync(WebFrontend)}/commitsnapshot");
            }),

        new("undo", "Undo preview", InPreviewWithMemory,
            async p => await p.PostAsync($"/vms/{await p.VmIdAsync(WebFrontend)}/undosnapshot"),
            async p =>
            {
                await EnsureInPreview(p);
                await p.PostAsync($"/vms/{await p.VmIdAsync(WebFrontend)}/undosnapshot");
            }),

        new("restore", "Restore snapshot", StoppedWithMemorySnapshot,
            async p => await p.PostAsync($"/vms/{await p.VmIdAsync(WebFrontend)}/snapshots/{await p.NewestSnapshotAsync(WebFrontend)}/restore", new { restore_memory = true }),
            async p => await p.PostAsync($"/vms/{await p.VmIdAsync(WebFrontend)}/snapshots/{await p.NewestSnapshotAsync(WebFrontend)}/restore", new { restore_memory = true })),

        new("remove snapshot", "Remove snapshot", StoppedWithMemorySnapshot,
            async p => await p.DeleteAsync($"/vms/{await p.VmIdAsync(WebFrontend)}/snapshots/{await p.NewestSnapshotAsync(WebFrontend)}"),
            async p =>
            {
                var s = await p.NewestSnapshotAsync(WebFrontend) ?? await p.SnapshotAsync(WebFrontend, "again", memory: false);
                await p.DeleteAsync($"/vms/{await p.VmIdAsync(WebFrontend)}/snapshots/{s}");
            }),

        new("run from memory", "Run VM", InPreviewWithMemory,
            p => p.StartAsync(WebFrontend),
            async p =>
            {
                await EnsureDown(p, WebFrontend);
                await p.StartAsync(WebFrontend);
            }),

        new("stateless run", "Run VM", Nothing,
            p => p.StartAsync(KioskStateless),
            async p =>
            {
                await EnsureDown(p, KioskStateless);
                await p.StartAsync(KioskStateless);
            }),

        new("stateless stop", "Stop VM", p => p.StartAsync(KioskStateless),
            p => p.StopAsync(KioskStateless),
            async p =>
            {
                if (await p.StatusAsync(KioskStateless) == VmStatus.Down) await p.StartAsync(KioskStateless);
                await p.StopAsync(KioskStateless);
            }),

        new("clone", "Clone VM from snapshot", p => p.SnapshotAsync(BuildAgent, "base", memory: false),
            async p => await p.PostAsync("/vms", new { name = "drill-clone", snapshots = new { snapshot = new[] { new { id = await p.NewestSnapshotAsync(BuildAgent) } } } }),
            async p => await p.PostAsync("/vms", new { name = "drill-clone-2", snapshots = new { snapshot = new[] { new { id = await p.NewestSnapshotAsync(BuildAgent) } } } })),

        new("remove VM", "Remove VM", Nothing,
            async p => await p.DeleteAsync($"/vms/{await p.VmIdAsync(BuildAgent)}"),
            async p => await p.DeleteAsync($"/vms/{await p.TryVmIdAsync(BuildAgent) ?? await p.VmIdAsync(LegacyReports)}")),

        new("export", "Export VM", StoppedWithMemorySnapshot,
            p => Export(p, overwrite: false),
            p => Export(p, overwrite: true)),

        new("import", "Import VM", async p =>
            {
                await StoppedWithMemorySnapshot(p);
                await Export(p, overwrite: false);
                await p.DeleteAsync($"/vms/{await p.VmIdAsync(WebFrontend)}");
            },
            p => Import(p, null, clone: false),
            async p =>
            {
                if (await p.TryVmIdAsync(WebFrontend) is null) await Import(p, null, clone: false);
                else await Import(p, "web-copy", clone: true);
            }),

        new("add storage domain", "Add storage domain", Nothing,
            p => AddStorage(p, "drill-data"),
            async p => await AddStorage(p, await p.TryDomainIdAsync("drill-data") is null ? "drill-data" : "drill-data-2")),

        new("remove storage domain", "Remove storage domain", p => AddStorage(p, "drill-data"),
            async p => await p.DeleteAsync($"/storagedomains/{await p.DomainIdAsync("drill-data")}?destroy_pool=true"),
            async p =>
            {
                if (await p.TryDomainIdAsync("drill-data") is null) await AddStorage(p, "drill-data-2");
                await p.DeleteAsync($"/storagedomains/{await p.TryDomainIdAsync("drill-data") ?? await p.DomainIdAsync("drill-data-2")}?destroy_pool=true");
            }),

        new("add host", "Add host", Nothing,
            AddHost,
            async p =>
            {
                if (await p.TryHostIdAsync("other") is { } id) await p.DeleteAsync($"/hosts/{id}");
                await AddHost(p);
            }),

        new("remove host", "Remove host", AddHost,
            async p => await p.DeleteAsync($"/hosts/{await p.TryHostIdAsync("other")}"),
            async p =>
            {
                if (await p.TryHostIdAsync("other") is null) await AddHost(p);
                await p.DeleteAsync($"/hosts/{await p.TryHostIdAsync("other")}");
            }),
    ];
}
