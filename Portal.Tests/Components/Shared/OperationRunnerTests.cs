using Bunit;
using Microsoft.Extensions.DependencyInjection;
using Portal.Auth;
using Portal.Core.Commands;
using Portal.Tests.Components.Support;

namespace Portal.Tests.Components.Shared;

/// <summary>How the outcome of an action is told: a refusal reads the same as a button that refused the click itself.</summary>
public sealed class OperationRunnerTests : PortalComponentTest
{
    [Theory]
    [InlineData(ResultKind.Conflict, "The VM is Down; only a running VM can be stopped.", "Stop VM was refused: The VM is Down; only a running VM can be stopped.", "warning")]
    [InlineData(ResultKind.Invalid, "The description is empty.", "Stop VM was refused: The description is empty.", "warning")]
    [InlineData(ResultKind.Failed, "libvirt: internal error: process exited", "Stop VM: libvirt: internal error: process exited", "error")]
    public async Task Report_RefusalIsAWarningInTheWordsOfARefusedButton_FailureAnError(ResultKind kind, string message, string told, string severity)
    {
        var providers = RenderProviders();
        var runner = Services.GetRequiredService<OperationRunner>();

        await providers.InvokeAsync(() => runner.Report("Stop VM", new CommandResult(kind, message)));

        var snackbar = providers.WaitForElement(".mud-snackbar");
        Assert.Equal(told, snackbar.TextContent.Trim());
        Assert.Contains(severity, snackbar.ClassName);
    }
}
