namespace Portal.E2E.Pages;

/// <summary>What every signed-in page has: the app bar, the navigation and the main container.</summary>
public sealed class PortalShell(IPage page)
{
    /// <summary>The main container; <c>data-interactive="true"</c> once the Blazor circuit is live (clicks before that do nothing).</summary>
    public ILocator Main => page.Locator("#portal-main");
    public ILocator CurrentUser => page.GetByTestId("current-user");
    public ILocator SignOut => page.GetByRole(AriaRole.Button, new() { Name = "Sign out" });
    public ILocator Navigation => page.GetByRole(AriaRole.Navigation, new() { Name = "Main navigation" });
    public ILocator NotFound => page.GetByTestId("not-found");
    public ILocator Snackbar => page.Locator(".mud-snackbar");

    /// <summary>Waits until the circuit is interactive, so the next click reaches a component.</summary>
    public Task WaitInteractiveAsync() => Expect(Main).ToHaveAttributeAsync("data-interactive", "true");
}
