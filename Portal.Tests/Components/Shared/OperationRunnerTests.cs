using Bunit;
using Microsoft.Extensions.DependencyInjection;
using Portal.Auth;
using Portal.Core.Commands;
using Portal.Tests.Components.Support;

namespace Portal.Tests.Components.Shared;

/// <summary>How the outcome of an action is told: a refusal reads the same as a button that refused the click itself.</summary>
public sealed class OperationRunnerTests : PortalComponentTest
{
    [Fact]
    public async Task Report_Refusal_IsAWarningInTheWordsOfARefusedButton()
    {
        var providers = RenderProviders();
        var runner = Services.GetRequiredService<OperationRunner>();

        await providers.InvokeAsync(() => runner.Report("Stop VM", CommandResult.Conflict("The VM is Down; only a running VM can be stopped.")));

        var snackbar = providers.WaitForElement(".mud-snackbar");
        Assert.Equal("Stop VM was refused: The VM is Down; only a running VM can be stopped.", snackbar.TextContent.Trim());
        Assert.Contains("warning", snackbar.ClassName);
    }

    [Fact]
    public async Task Report_Failure_IsAnErrorNamingTheOperation()
    {
        var providers = RenderProviders();
        var runner = Services.GetRequiredService<OperationRunner>();

        await providers.InvokeAsync(() => runner.Report("Run VM", CommandResult.Failed("libvirt: internal error: process exited while connecting to monitor")));

        var snackbar = providers.WaitForElement(".mud-snackbar");
        Assert.Equal("Run VM: libvirt: internal error: process exited while connecting to monitor", snackbar.TextContent.Trim());
        Assert.Contains("error", snackbar.ClassName);
    }
}
