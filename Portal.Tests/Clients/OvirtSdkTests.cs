namespace Portal.Tests.Clients;

/// <summary>
/// oVirt's own Python SDK 4.6.3, unchanged, against the portal: the SDK under Ansible's ovirt.ovirt modules and most
/// oVirt scripts. Each scenario gets a fresh portal.
/// </summary>
[Trait("Category", "Clients")]
public sealed class OvirtSdkTests
{
    [Fact]
    public async Task Sdk_ConnectTestSearchAndFollow_Work()
    {
        var output = await ClientScenario.RunAsync("sdk_scenarios.py", "connect", needsSdk: true);
        Assert.Contains("step: an unsupported search term raises sdk.Error 400", output);
    }

    [Fact]
    public async Task Sdk_SnapshotWithMemory_PreviewUndoCommitRestoreStartStopRemove()
    {
        var output = await ClientScenario.RunAsync("sdk_scenarios.py", "snapshots", needsSdk: true);
        Assert.Contains("Fault detail is \"The VM must be Down to preview a snapshot. It is Up.\"", output);
        Assert.Contains("step: started from the snapshot's memory", output);
    }

    [Fact]
    public async Task Sdk_ExportThenImportFromTheExportDomainsList_AsOvirtsScriptsDo()
    {
        var output = await ClientScenario.RunAsync("sdk_scenarios.py", "export_import", needsSdk: true);
        Assert.Contains("step: listed on the export domain: build-agent (512 MiB)", output);
        Assert.Contains("step: imported as a clone: agent-imported", output);
    }

    [Fact]
    public async Task Sdk_Close_RevokesTheToken()
    {
        var output = await ClientScenario.RunAsync("sdk_scenarios.py", "close", needsSdk: true);
        Assert.Contains("step: the token is refused after close()", output);
    }

    [Fact]
    public async Task Sdk_AnsibleVmAndSnapshotModuleCalls_AllWork()
    {
        var output = await ClientScenario.RunAsync("sdk_scenarios.py", "ansible", needsSdk: true);
        Assert.Contains("step: ovirt_snapshot state=absent", output);
    }
}
