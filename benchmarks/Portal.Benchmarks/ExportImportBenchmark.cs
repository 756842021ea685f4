using System.Diagnostics;
using Microsoft.EntityFrameworkCore;
using Portal.Core;
using Portal.Core.Auth;
using Portal.Core.Commands;
using Portal.Core.Hypervisor;
using Portal.Core.ImportExport;
using Portal.Core.Persistence;
using Portal.Core.Snapshots;
using Portal.Core.Storage;
using Portal.Core.Vms;

namespace Portal.Benchmarks;

/// <summary>
/// Issue #6's figures on the real host: the export and import time of the 128 MiB guest 'tiny' with one memory
/// snapshot, and the bytes copied, between a File data domain (portal-data), the export domain (portal-export) and a
/// Block data domain (a disk pool on the device given with --block-device). The portal's core is hosted in this
/// process on qemu:///system and driven through its command classes, as the UI and the API drive them.
/// Run by benchmarks/real-host/export-import.sh, which sets the host and the block device up.
/// </summary>
public static class ExportImportBenchmark
{
    private const string Vm = "tiny";
    private const string Root = "/var/lib/portal-real";
    private static readonly Actor Admin = Actor.Admin("bench");

    public static async Task<int> RunAsync(string[] args)
    {
        var device = Arg(args, "--block-device") ?? throw new ArgumentException("--block-device DEVICE is required (block-setup.sh prints it).");
        var data = Directory.CreateTempSubdirectory("portal-bench-").FullName;
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Portal:DataDirectory"] = data,
            ["Libvirt:Uri"] = "qemu:///system",
            ["Libvirt:DataPools:0"] = "portal-data",
            ["Libvirt:ExportPools:0"] = "portal-export",
        });
        builder.Logging.AddSimpleConsole().SetMinimumLevel(LogLevel.Warning);
        builder.AddPortalCore();
        using var host = builder.Build();
        await PortalStartup.InitializeAsync(host.Services);
        await host.StartAsync();
        var s = host.Services;
        T Get<T>() where T : notnull => s.GetRequiredService<T>();
        var hypervisor = Get<IHypervisor>();

        var block = (Guid)Ok(await Get<AddStorageDomainCommand>().ExecuteAsync(
            new AddStorageDomainRequest("bench-block", StorageRole.Data, StorageSource.PartitionedDevice, Path: device), Admin)).Value!;
        Guid file, export;
        await using (var db = await Get<IDbContextFactory<PortalDbContext>>().CreateDbContextAsync())
        {
            file = (await db.StorageDomains.SingleAsync(d => d.PoolName == "portal-data")).Id;
            export = (await db.StorageDomains.SingleAsync(d => d.PoolName == "portal-export")).Id;
        }
        var vm = (await hypervisor.ListDomainsAsync()).Single(d => d.Name == Vm).Id;
        Console.WriteLine($"Export/import benchmark: {Vm} (128 MiB), qemu:///system, Block domain on {device}, {Environment.ProcessorCount} cores.");

        // One memory snapshot of the running guest, on the File domain, then down.
        Ok(await Get<RunVmCommand>().ExecuteAsync(new RunVmRequest(vm), Admin));
        await WaitForConsoleAsync("COUNTER 3 ");
        Ok(await Get<CreateSnapshotCommand>().ExecuteAsync(new CreateSnapshotRequest(vm, "bench", true, file), Admin));
        Ok(await Get<StopVmCommand>().ExecuteAsync(new StopVmRequest(vm), Admin));
        await WaitDownAsync(Get<VmMonitor>(), vm);

        var rows = new List<string>();
        async Task Round(string label, Guid target)
        {
            var exportDir = Path.Combine(Root, "export");
            var before = Usage(exportDir);
            var clock = Stopwatch.StartNew();
            var exported = Ok(await Get<ExportVmCommand>().ExecuteAsync(new ExportVmRequest(vm, export, Overwrite: true), Admin));
            var exportMs = clock.ElapsedMilliseconds;
            var after = Usage(exportDir);
            Ok(await Get<RemoveVmCommand>().ExecuteAsync(new RemoveVmRequest(vm), Admin));
            clock.Restart();
            var imported = Ok(await Get<ImportVmCommand>().ExecuteAsync(new ImportVmRequest(export, vm, target), Admin));
            var importMs = clock.ElapsedMilliseconds;
            var written = await ImportedBytesAsync(s, vm);
            // How much of the import is libvirt parsing a domain definition (it probes QEMU again on every parse here).
            var xml = await hypervisor.GetDomainXmlAsync(vm, inactive: true);
            clock.Restart();
            await hypervisor.DefineDomainAsync(xml);
            var defineMs = clock.ElapsedMilliseconds;
            rows.Add($"| {label} | {exportMs:N0} | {Mib(after.Apparent - before.Apparent)} / {Mib(after.Allocated - before.Allocated)} | " +
                     $"{importMs:N0} (define alone {defineMs:N0}) | {Mib(written.Memory)} + {Mib(written.Disks)} |");
            Console.WriteLine($"{label}: {exported.Message} {imported.Message}");
            // The next round exports again from wherever this one put the memory.
            foreach (var f in Directory.EnumerateFiles(exportDir)) File.Delete(f);
            Directory.Delete(Path.Combine(exportDir, "master"), recursive: true);
            await hypervisor.GetPoolAsync("portal-export"); // refreshes libvirt's list of the pool's volumes
        }

        await Round("File → export → File", file);
        await Round("File → export → Block", block);
        await Round("Block → export → File", file);

        Console.WriteLine();
        Console.WriteLine("| Move (memory on the first domain) | Export ms | Export bytes, apparent / allocated (MiB) | Import ms | Import bytes, memory + disks (MiB) |");
        Console.WriteLine("|---|---:|---:|---:|---:|");
        foreach (var r in rows) Console.WriteLine(r);

        // Leave the host as the suite expects it: the VM's memory off the Block domain before the device goes.
        Ok(await Get<RemoveVmCommand>().ExecuteAsync(new RemoveVmRequest(vm), Admin));
        Ok(await Get<RemoveStorageDomainCommand>().ExecuteAsync(new RemoveStorageDomainRequest(block, RemovePool: true), Admin));
        await host.StopAsync();
        return 0;
    }

    private static CommandResult Ok(CommandResult r) => r.Succeeded ? r : throw new InvalidOperationException($"{r.Kind}: {r.Message}");

    private static async Task<StorageDomain> Domain(IServiceProvider s, Guid id)
    {
        await using var db = await s.GetRequiredService<IDbContextFactory<PortalDbContext>>().CreateDbContextAsync();
        return await db.StorageDomains.AsNoTracking().SingleAsync(d => d.Id == id);
    }

    /// <summary>
    /// What the import wrote: the memory volumes (a file's allocated bytes; a partition's whole size, since a block
    /// volume is preallocated) and the disk images (allocated bytes of the copies the configurations name).
    /// </summary>
    private static async Task<(long Memory, long Disks)> ImportedBytesAsync(IServiceProvider s, Guid vm)
    {
        await using var db = await s.GetRequiredService<IDbContextFactory<PortalDbContext>>().CreateDbContextAsync();
        var snapshots = await db.Snapshots.AsNoTracking().Include(x => x.MemoryVolume).Where(x => x.VmId == vm).ToListAsync();
        var memory = snapshots.Select(x => x.MemoryVolume).OfType<MemoryVolume>().DistinctBy(m => m.Id)
            .SelectMany(m => new[] { m.DumpPath, m.ConfPath }).Sum(Bytes);
        var disks = snapshots.SelectMany(x => System.Xml.Linq.XDocument.Parse(x.ConfigurationXml).Descendants("disk"))
            .Select(d => (string?)d.Element("source")?.Attribute("file")).OfType<string>().Distinct().Sum(Bytes);
        return (memory, disks);
    }

    private static long Bytes(string path)
    {
        var (tool, args) = path.StartsWith("/dev/", StringComparison.Ordinal) ? ("blockdev", new[] { "--getsize64", path }) : ("du", new[] { "-B1", path });
        using var p = Process.Start(new ProcessStartInfo(tool, args) { RedirectStandardOutput = true })!;
        var text = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        return long.Parse(text.Split('\t', '\n')[0]);
    }

    private static string Mib(long bytes) => (bytes / 1048576.0).ToString("0.0");

    /// <summary>Apparent and allocated bytes of every file under <paramref name="dir"/> (du's two views).</summary>
    private static (long Apparent, long Allocated) Usage(string dir)
    {
        long Du(params string[] extra)
        {
            using var p = Process.Start(new ProcessStartInfo("du", [.. extra, "-s", "-B1", dir]) { RedirectStandardOutput = true })!;
            var text = p.StandardOutput.ReadToEnd();
            p.WaitForExit();
            return long.Parse(text.Split('\t')[0]);
        }
        return (Du("--apparent-size"), Du());
    }

    private static async Task WaitForConsoleAsync(string text)
    {
        var log = Path.Combine(Root, "console", $"{Vm}.log");
        var until = DateTime.UtcNow.AddMinutes(3);
        while (!(File.Exists(log) && (await File.ReadAllTextAsync(log)).Contains(text)))
        {
            if (DateTime.UtcNow > until) throw new TimeoutException($"{Vm} did not print '{text}' within 3 minutes.");
            await Task.Delay(250);
        }
    }

    private static async Task WaitDownAsync(VmMonitor monitor, Guid vm)
    {
        var until = DateTime.UtcNow.AddMinutes(3);
        while (monitor.StatusOf(vm) != VmStatus.Down)
        {
            if (DateTime.UtcNow > until) throw new TimeoutException($"{Vm} did not go Down.");
            await Task.Delay(100);
        }
    }

    private static string? Arg(string[] args, string name)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
    }
}
