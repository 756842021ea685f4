namespace Portal.Components.Pages.Shared;

/// <summary>
/// A page's reload on a change, on the page's own dispatcher: changes that arrive while a reload runs are folded into
/// one more reload, so a burst costs a page two reloads, not one per change. A failure goes to the page's error
/// boundary.
/// </summary>
/// <param name="invokeAsync">The component's <c>InvokeAsync</c>.</param>
/// <param name="reloadAsync">Reads what the page shows and renders it.</param>
/// <param name="dispatchExceptionAsync">The component's <c>DispatchExceptionAsync</c>.</param>
public sealed class FoldedReloads(Func<Func<Task>, Task> invokeAsync, Func<Task> reloadAsync, Func<Exception, Task> dispatchExceptionAsync)
{
    private int _pending;
    private bool _running;

    /// <summary>Asks for a reload; safe from any thread (a <see cref="Portal.Core.SharedView{T}.Changed"/> handler).</summary>
    public void Request()
    {
        Interlocked.Exchange(ref _pending, 1);
        _ = invokeAsync(RunAsync);
    }

    private async Task RunAsync()
    {
        if (_running) return;
        _running = true;
        try
        {
            while (Interlocked.Exchange(ref _pending, 0) == 1)
                await reloadAsync();
        }
        catch (Exception ex) { await dispatchExceptionAsync(ex); }
        finally { _running = false; }
    }
}
