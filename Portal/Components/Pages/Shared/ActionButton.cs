using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Web;
using MudBlazor;

namespace Portal.Components.Pages.Shared;

/// <summary>
/// A button for an action the portal can refuse. It is disabled while the action is refused (the caller also binds
/// <see cref="MudBaseButton.Disabled"/>), and a click that reaches the server after the refusal says why.
/// </summary>
/// <remarks>
/// Such a click happens when the VM changes a moment before the user clicks: the browser still shows the button enabled,
/// since the render that disables it is on its way, while the server has already disabled it. MudButton drops that click
/// in silence. Measured on the VM page (2026-12-05), with the VM stopped and started a few times a second, about one click
/// in three on Create snapshot landed in that window and did nothing at all.
/// </remarks>
public sealed class ActionButton : MudButton
{
    [Inject] private ISnackbar Snackbar { get; set; } = default!;

    /// <summary>The action's name, as its command calls it ("Stop VM").</summary>
    [Parameter, EditorRequired] public string Operation { get; set; } = "";

    /// <summary>Why the action is refused now; null while it is allowed.</summary>
    [Parameter] public string? Refusal { get; set; }

    protected override async Task OnClickHandler(MouseEventArgs ev)
    {
        if (GetDisabledState())
        {
            // Disabled with no reason means the user's previous click is still being carried out: nothing to say.
            if (Refusal is { } reason) Snackbar.Add(Portal.Core.Commands.Refusal.Describe(Operation, reason), Severity.Warning);
            return;
        }
        await base.OnClickHandler(ev);
    }
}
