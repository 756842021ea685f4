using Microsoft.Extensions.Logging.Abstractions;
using Portal.Core.Hosts;
using Portal.Core.Hypervisor;
using Portal.Core.Libvirt;
using Portal.Tests.Support;

namespace Portal.Tests.Libvirt;

/// <summary>The binding over libvirt.so.0, against the test driver preloaded with the demo node file.</summary>
public sealed class LibvirtHypervisorTests : IDisposable
{
    private readonly string _dir = PortalFixture.NewDataDirectory();
    private readonly LibvirtHypervisor _hv;

    public LibvirtHypervisorTests() => _hv = LibvirtHypervisor.Open(DemoNode.EnsureWritten(_dir), NullLogger.Instance);

    public void Dispose()
    {
        _hv.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    private CancellationToken Ct => TestContext.Current.CancellationToken;

    private async Task<DomainInfo> DomainAsync(string name) => (await _hv.ListDomainsAsync(Ct)).Single(d => d.Name == name);

    [Fact]
    public void Open_DemoNodeFile_IsTheTestDriver()
    {
        Assert.True(_hv.IsTestDriver);
        Assert.StartsWith("test:///", _hv.Uri);
        Assert.EndsWith(DemoNode.FileName, _hv.Uri);
    }

    [Fact]
    public async Task ListDomains_DemoNode_ListsEveryDemoVmWithItsRunState()
    {
        var domains = (await _hv.ListDomainsAsync(Ct)).ToDictionary(d => d.Name, d => d.State);

        Assert.Equal(
            new Dictionary<string, DomainRunState>
            {
                ["web-frontend"] = DomainRunState.Running, ["db-primary"] = DomainRunState.Running, ["build-agent"] = DomainRunState.ShutOff,
                ["kiosk-stateless"] = DomainRunState.ShutOff, ["gpu-render"] = DomainRunState.Running, ["legacy-erp"] = DomainRunState.Running,
                ["legacy-reports"] = DomainRunState.ShutOff,
            },
            domains);
    }

    [Fact]
    public async Task ListDomains_StatesAndReasonsOfTheWholeList_AreThoseEachDomainReportsAlone()
    {
        // The list reads every state in one call to the host; a domain asked alone reads its own (virDomainGetState).
        await _hv.SuspendAsync((await DomainAsync("gpu-render")).Id, Ct);
        await _hv.DestroyAsync((await DomainAsync("legacy-erp")).Id, Ct);

        var listed = await _hv.ListDomainsAsync(Ct);

        var alone = new List<DomainInfo>();
        foreach (var d in listed) alone.Add((await _hv.FindDomainAsync(d.Id, Ct))!);
        Assert.Equal(alone, listed);
        Assert.Equal(7, listed.Select(d => d.Id).Distinct().Count());
        Assert.Equal(DomainRunState.Paused, listed.Single(d => d.Name == "gpu-render").State);
        Assert.Equal(DomainRunState.ShutOff, listed.Single(d => d.Name == "legacy-erp").State);
        Assert.Contains(listed, d => d.Reason != 0);
    }

    [Fact]
    public async Task ListOneByOne_ADomainRemovedBetweenTheListAndItsState_IsLeftOut()
    {
        // The fallback for a driver without the one-call list: a domain removed by another client after the list and
        // before its state is read must not fail the whole list (and with it the reconcile).
        var reports = await DomainAsync("legacy-reports");
        var web = await DomainAsync("web-frontend");

        var listed = _hv.ListOneByOne(() => _hv.UndefineDomainAsync(reports.Id, Ct).GetAwaiter().GetResult());

        Assert.Equal(6, listed.Count);
        Assert.DoesNotContain(listed, d => d.Id == reports.Id);
        Assert.Equal(web, listed.Single(d => d.Id == web.Id));
        Assert.Equal(await _hv.ListDomainsAsync(Ct), listed);
    }

    [Fact]
    public async Task StartAndDestroy_DownDomain_ChangesItsState()
    {
        var agent = await DomainAsync("build-agent");

        await _hv.StartAsync(agent.Id, Ct);
        Assert.Equal(DomainRunState.Running, (await _hv.FindDomainAsync(agent.Id, Ct))!.State);

        await _hv.DestroyAsync(agent.Id, Ct);
        Assert.Equal(DomainRunState.ShutOff, (await _hv.FindDomainAsync(agent.Id, Ct))!.State);
    }

    [Fact]
    public async Task SuspendAndResume_RunningDomain_PausesAndRunsAgain()
    {
        var web = await DomainAsync("web-frontend");

        await _hv.SuspendAsync(web.Id, Ct);
        Assert.Equal(DomainRunState.Paused, (await _hv.FindDomainAsync(web.Id, Ct))!.State);

        await _hv.ResumeAsync(web.Id, Ct);
        Assert.Equal(DomainRunState.Running, (await _hv.FindDomainAsync(web.Id, Ct))!.State);
    }

    [Fact]
    public async Task Start_AlreadyRunningDomain_ThrowsWithLibvirtsMessage()
    {
        var web = await DomainAsync("web-frontend");

        var ex = await Assert.ThrowsAsync<HypervisorException>(() => _hv.StartAsync(web.Id, Ct));

        Assert.Contains("Domain 'web-frontend' is already running", ex.LibvirtMessage);
        Assert.Contains(ex.LibvirtMessage, ex.Message);
        Assert.StartsWith("Starting the VM failed:", ex.Message);
    }

    [Fact]
    public async Task GetDomainXml_UnknownUuid_ThrowsWithLibvirtsMessage()
    {
        var ex = await Assert.ThrowsAsync<HypervisorException>(() => _hv.GetDomainXmlAsync(Guid.NewGuid(), inactive: true, Ct));

        Assert.Equal("Domain not found", ex.LibvirtMessage);
        Assert.Equal("Reading the domain XML failed: Domain not found", ex.Message);
    }

    [Fact]
    public async Task FindDomain_UnknownUuid_ReturnsNull() =>
        Assert.Null(await _hv.FindDomainAsync(Guid.NewGuid(), Ct));

    [Fact]
    public void Open_MissingNodeFile_ThrowsWithLibvirtsMessageAndTheUri()
    {
        var uri = "test://" + Path.Combine(_dir, "no-such-node.xml");

        var ex = Assert.Throws<HypervisorException>(() => LibvirtHypervisor.Open(uri, NullLogger.Instance));

        Assert.Contains(uri, ex.Message);
        Assert.Contains("failed to parse xml document", ex.LibvirtMessage);
    }

    [Fact]
    public async Task CreateSnapshot_WithMemoryFile_RecordsExternalMemoryInTheSnapshotXml()
    {
        var web = await DomainAsync("web-frontend");
        var dump = Path.Combine(_dir, "dump.mem");

        await _hv.CreateSnapshotAsync(web.Id, new SnapshotRequest("s1", "before upgrade", dump), Ct);

        Assert.Equal(["s1"], await _hv.ListSnapshotNamesAsync(web.Id, Ct));
        var xml = System.Xml.Linq.XDocument.Parse((await _hv.GetSnapshotXmlAsync(web.Id, "s1", Ct))!);
        var memory = xml.Root!.Element("memory")!;
        Assert.Equal("external", (string?)memory.Attribute("snapshot"));
        Assert.Equal(dump, (string?)memory.Attribute("file"));
        Assert.Equal("before upgrade", xml.Root.Element("description")!.Value);
    }

    [Fact]
    public async Task CreateSnapshot_Running_ReturnsWhatTheHostSaysAfterwards()
    {
        var web = await DomainAsync("web-frontend");

        var taken = await _hv.CreateSnapshotAsync(web.Id, new SnapshotRequest("s1", "live", Path.Combine(_dir, "dump.mem")), Ct);

        // What the create command stores without asking the host again: the same as asking it now.
        Assert.Contains("<name>s1</name>", taken.SnapshotXml);
        Assert.Equal(await _hv.GetSnapshotXmlAsync(web.Id, "s1", Ct), taken.SnapshotXml);
        Assert.Equal(await _hv.GetDomainXmlAsync(web.Id, inactive: true, Ct), taken.InactiveXml);
        Assert.Equal(DomainRunState.Running, taken.State);
    }

    [Fact]
    public async Task CreateSnapshot_Stopped_ReturnsTheStoppedState()
    {
        var agent = await DomainAsync("build-agent");

        var taken = await _hv.CreateSnapshotAsync(agent.Id, new SnapshotRequest("s1", "offline", null), Ct);

        Assert.Equal(DomainRunState.ShutOff, taken.State);
        Assert.Contains("<name>s1</name>", taken.SnapshotXml);
        Assert.Equal(await _hv.GetSnapshotXmlAsync(agent.Id, "s1", Ct), taken.SnapshotXml);
        Assert.Contains("<name>build-agent</name>", taken.InactiveXml);
    }

    [Fact]
    public async Task RestoreFromMemory_AfterDestroy_LeavesTheDomainPausedUntilResumed()
    {
        var web = await DomainAsync("web-frontend");
        var dump = Path.Combine(_dir, "dump.mem");
        await _hv.CreateSnapshotAsync(web.Id, new SnapshotRequest("s1", "with memory", dump), Ct);
        await _hv.DestroyAsync(web.Id, Ct);

        await _hv.RestoreFromMemoryAsync(web.Id, new MemoryRestoreRequest(dump, await _hv.GetDomainXmlAsync(web.Id, true, Ct)), Ct);
        Assert.Equal(DomainRunState.Paused, (await _hv.FindDomainAsync(web.Id, Ct))!.State);

        await _hv.ResumeAsync(web.Id, Ct);
        Assert.Equal(DomainRunState.Running, (await _hv.FindDomainAsync(web.Id, Ct))!.State);
    }

    [Fact]
    public async Task RestoreFromMemory_DumpVolumeWhoseSnapshotWasDeleted_LeavesTheDomainPaused()
    {
        var agent = await DomainAsync("build-agent");
        var dump = await _hv.CreateVolumeAsync(DemoNode.DataPool, "dump", 1 << 20, preallocate: false, Ct);

        await _hv.RestoreFromMemoryAsync(agent.Id, new MemoryRestoreRequest(dump.Path, await _hv.GetDomainXmlAsync(agent.Id, true, Ct)), Ct);

        Assert.Equal(DomainRunState.Paused, (await _hv.FindDomainAsync(agent.Id, Ct))!.State);
    }

    [Fact]
    public async Task RestoreFromMemory_DumpNoSnapshotHolds_ThrowsNamingTheDump()
    {
        var agent = await DomainAsync("build-agent");

        var ex = await Assert.ThrowsAsync<HypervisorException>(() =>
            _hv.RestoreFromMemoryAsync(agent.Id, new MemoryRestoreRequest("/nowhere/dump", "<domain/>"), Ct));

        Assert.Equal("Restoring the VM's memory failed: no snapshot on the host holds the memory dump '/nowhere/dump', and no volume has that path", ex.Message);
    }

    [Fact]
    public async Task Volumes_CreateFindDelete_FollowLibvirtsPool()
    {
        var pool = await _hv.GetPoolAsync(DemoNode.DataPool, Ct);
        Assert.Equal(100L << 30, pool.CapacityBytes);

        var made = await _hv.CreateVolumeAsync(DemoNode.DataPool, "vol-a", 1 << 20, preallocate: false, Ct);
        Assert.Equal(("vol-a", made.Path), (made.Name, await _hv.FindVolumePathAsync(DemoNode.DataPool, "vol-a", Ct)));
        Assert.StartsWith(pool.TargetPath!, made.Path);

        Assert.True(await _hv.DeleteVolumeAsync(DemoNode.DataPool, "vol-a", Ct));
        Assert.Null(await _hv.FindVolumePathAsync(DemoNode.DataPool, "vol-a", Ct));
        Assert.False(await _hv.DeleteVolumeAsync(DemoNode.DataPool, "vol-a", Ct));
    }

    [Fact]
    public async Task CreateVolume_PoolDefinedAgainByAnotherClient_IsMadeWhereThePoolNowIs()
    {
        // test:///default is one host for every connection in the process, so "other" is another client of it.
        using var portal = LibvirtHypervisor.Open("test:///default", NullLogger.Instance);
        using var other = LibvirtHypervisor.Open("test:///default", NullLogger.Instance);
        var name = "moved-" + Guid.NewGuid().ToString("N")[..8];
        var uuid = Guid.NewGuid();
        string Xml(string dir) => $"<pool type='dir'><name>{name}</name><uuid>{uuid}</uuid><target><path>{dir}</path></target></pool>";
        await portal.CreatePoolAsync(Xml("/srv/first"), overwrite: false, Ct);
        try
        {
            Assert.Equal("/srv/first/v0", (await portal.CreateVolumeAsync(name, "v0", 1 << 20, preallocate: false, Ct)).Path);

            await other.RemovePoolAsync(name, Ct);
            await other.CreatePoolAsync(Xml("/srv/second"), overwrite: false, Ct);

            // The other client's events reach the portal's connection on libvirt's event thread, a moment later.
            var n = 0;
            var made = await Wait.UntilAsync(() => portal.CreateVolumeAsync(name, $"v{++n}", 1 << 20, preallocate: false, Ct),
                v => !v.Path.StartsWith("/srv/first/", StringComparison.Ordinal), "the portal makes volumes where the pool now is");
            Assert.Equal($"/srv/second/{made.Name}", made.Path);
            Assert.Equal(made.Path, await other.FindVolumePathAsync(name, made.Name, Ct));
        }
        finally
        {
            await portal.RemovePoolAsync(name, Ct);
        }
    }

    [Fact]
    public async Task GetPool_UnknownPool_ThrowsWithLibvirtsMessage()
    {
        var ex = await Assert.ThrowsAsync<HypervisorException>(() => _hv.GetPoolAsync("no-such-pool", Ct));

        Assert.Contains("no-such-pool", ex.LibvirtMessage);
    }

    [Fact]
    public async Task LifecycleEvent_DomainStarted_IsRaisedForThatDomain()
    {
        var agent = await DomainAsync("build-agent");
        var started = new TaskCompletionSource<DomainLifecycleEvent>(TaskCreationOptions.RunContinuationsAsynchronously);
        _hv.LifecycleEvent += e => { if (e.DomainId == agent.Id && e.Kind == DomainEventKind.Started) started.TrySetResult(e); };

        await _hv.StartAsync(agent.Id, Ct);

        var e = await started.Task.WaitAsync(Wait.DefaultTimeout, Ct);
        Assert.Equal("build-agent", e.DomainName);
    }
}
