namespace Portal.E2E.Pages;

/// <summary>/account/login: a static server-rendered form (no Blazor circuit).</summary>
public sealed class LoginPage(IPage page)
{
    public const string Path = "/account/login";
    public ILocator Heading => page.GetByRole(AriaRole.Heading, new() { Name = "Sign in to VirtPortal" });
    public ILocator UserName => page.GetByLabel("User name", new() { Exact = true });
    public ILocator Password => page.GetByLabel("Password", new() { Exact = true });
    public ILocator SignIn => page.GetByRole(AriaRole.Button, new() { Name = "Sign in", Exact = true });
    public ILocator Error => page.GetByTestId("login-error");

    public async Task SubmitAsync(string user, string password)
    {
        await UserName.FillAsync(user);
        await Password.FillAsync(password);
        await SignIn.ClickAsync();
    }
}
