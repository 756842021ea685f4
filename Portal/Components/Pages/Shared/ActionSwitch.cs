using Microsoft.AspNetCore.Components;
using Microsoft.JSInterop;
using MudBlazor;

namespace Portal.Components.Pages.Shared;

/// <summary>
/// A switch for a setting the portal can refuse to change, as <see cref="ActionButton"/> is for an action: disabled while
/// the change is refused (the caller also binds <see cref="MudBooleanInput{T}.Disabled"/>), and a toggle that reaches the
/// server after the refusal says why instead of vanishing. It always shows the value its owner holds.
/// </summary>
/// <remarks>
/// The browser flips its checkbox before the server hears of the click. MudSwitch, told the change, keeps the new value
/// even when its owner refuses it (its owner's value did not change, so nothing resets it); and a disabled MudSwitch
/// renders the same unchanged value again, so nothing flips the checkbox back. Either way the switch would show a change
/// that was not made, and the user's next click would send the value the owner already holds, and do nothing. This switch
/// leaves the value to its owner, and after a click the owner did not follow, puts the checkbox back.
/// </remarks>
public sealed class ActionSwitch : MudSwitch<bool>
{
    private readonly string _id = Guid.NewGuid().ToString("N");
    private bool? _clicked; // what the browser's checkbox shows after the user's click, until the render that ends it

    [Inject] private ISnackbar Snackbar { get; set; } = default!;
    [Inject] private IJSRuntime JS { get; set; } = default!;

    /// <summary>The change's name, as its command calls it ("Edit VM").</summary>
    [Parameter, EditorRequired] public string Operation { get; set; } = "";

    /// <summary>Why the change is refused now; null while it is allowed.</summary>
    [Parameter] public string? Refusal { get; set; }

    protected override void OnParametersSet()
    {
        base.OnParametersSet();
        // Rendered on the checkbox itself (MudSwitch puts the attributes it does not know there).
        UserAttributes["data-action-switch"] = _id;
    }

    protected override async Task OnChange(ChangeEventArgs args)
    {
        var shown = args.Value is true;
        if (GetDisabledState())
        {
            if (Refusal is { } reason) Snackbar.Add(Portal.Core.Commands.Refusal.Describe(Operation, reason), Severity.Warning);
        }
        else
        {
            // The owner decides (it runs the command). One that keeps its answer before it returns (VmDetailsPage does)
            // renders it as Value first; one that learns it later shows it when it renders it.
            await ValueChanged.InvokeAsync(shown);
        }
        _clicked = shown; // compared in the render that ends this event, once the owner has answered
    }

    protected override async Task OnAfterRenderAsync(bool firstRender)
    {
        await base.OnAfterRenderAsync(firstRender);
        if (_clicked is not { } shown) return;
        _clicked = null;
        if (shown == Value) return;
        try { await JS.InvokeVoidAsync("portalLayout.showChecked", _id, Value); }
        catch (JSDisconnectedException) { } // the page is gone, and its checkbox with it
    }
}
