using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Portal.Core.Vms;
using Portal.Tests.Support;

namespace Portal.Tests.Vms;

/// <summary>The Log tab's reads of a local host's console log file: followed from an offset, cleaned of terminal sequences.</summary>
public sealed class SerialConsoleLogTests() : PortalTest
{
    private static readonly Guid Id = Guid.Parse("6b2f1d63-1e4c-4b6f-8d62-3f1b8c2f0042");

    private async Task<string> DefineWithLogAsync()
    {
        var log = Path.Combine(Portal.DataDirectory, "console-42.log");
        await Portal.Hypervisor.DefineDomainAsync($"""
            <domain type='test'>
              <name>logged</name><uuid>{Id}</uuid><memory unit='MiB'>128</memory><vcpu>1</vcpu>
              <os><type arch='x86_64'>hvm</type></os>
              <devices><serial type='pty'><log file='{log}' append='on'/><target port='0'/></serial></devices>
            </domain>
            """, Ct);
        await Wait.UntilAsync(() => Portal.Queries.VmAsync(Id, Ct), r => r is not null, "the VM is in the inventory");
        return log;
    }

    [Fact]
    public async Task Read_FollowsTheFile_WithoutTerminalSequences_AndATornSequenceWaitsForItsEnd()
    {
        var log = await DefineWithLogAsync();
        var console = Portal.Services.GetRequiredService<SerialConsole>();
        Assert.Equal("The VM has not written to its console yet.", (await console.ReadAsync(Id, 0, Ct)).Unavailable);

        await File.WriteAllTextAsync(log, "boot\r\nguest# \u001b[6", Ct);
        var first = await console.ReadAsync(Id, 0, Ct);
        Assert.Equal(("boot\nguest# ", null), (first.Text, first.Unavailable));
        Assert.Equal(Encoding.UTF8.GetByteCount("boot\r\nguest# "), first.NextOffset); // the sequence is read again

        await File.AppendAllTextAsync(log, "nCOUNTER 1\r\n", Ct);
        var second = await console.ReadAsync(Id, first.NextOffset, Ct);
        Assert.Equal("COUNTER 1\n", second.Text);
        Assert.Equal(new FileInfo(log).Length, second.NextOffset);

        var idle = await console.ReadAsync(Id, second.NextOffset, Ct);
        Assert.Equal(("", second.NextOffset), (idle.Text, idle.NextOffset));

        // Written anew (shorter than where the reader was): read from the start.
        await File.WriteAllTextAsync(log, "again\n", Ct);
        var anew = await console.ReadAsync(Id, second.NextOffset, Ct);
        Assert.Equal(("again\n", 6L), (anew.Text, anew.NextOffset));
    }
}
