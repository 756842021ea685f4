using Bunit;
using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.JSInterop;
using Portal.Components.Pages.Vms;
using Portal.Core;
using Portal.Core.Auth;
using Portal.Core.Hypervisor;
using Portal.Core.Vms;
using Portal.Tests.Components.Support;
using Portal.Tests.Support;

namespace Portal.Tests.Components.Vms;

public sealed class VmConsoleTests : PortalComponentTest
{
    private const string Module = "/js/consoles.js";

    /// <summary>The page's JS runtime: bUnit's, with modules that cannot be called once the page let go of them.</summary>
    private readonly ModuleLifetimes _modules;

    public VmConsoleTests()
    {
        _modules = new ModuleLifetimes(JSInterop.JSRuntime);
        Services.AddSingleton<IJSRuntime>(_modules);
    }

    [Fact]
    public async Task Log_OfAVmWithoutOne_SaysWhyWithoutAnEmptyBox()
    {
        var vm = (await Get<PortalQueries>().VmsAsync(Ct)).First();

        var cut = Render<VmSerialLog>(p => p.Add(c => c.VmId, vm.Id));

        Assert.StartsWith("This VM has no serial console log", cut.WaitForElement("[data-testid=vm-console-unavailable]").TextContent);
        Assert.Empty(cut.FindAll("[data-testid=vm-console]"));
    }

    [Fact]
    public async Task Log_NotWrittenYet_SaysSoUntilTheVmWrites_ThenFollowsTheFile()
    {
        var id = Guid.Parse("6b2f1d63-1e4c-4b6f-8d62-3f1b8c2f0043");
        var log = Path.Combine(Path.GetTempPath(), $"portal-console-{Guid.NewGuid():N}.log");
        await Get<IHypervisor>().DefineDomainAsync($"""
            <domain type='test'>
              <name>logged</name><uuid>{id}</uuid><memory unit='MiB'>128</memory><vcpu>1</vcpu>
              <os><type arch='x86_64'>hvm</type></os>
              <devices><serial type='pty'><log file='{log}' append='on'/><target port='0'/></serial></devices>
            </domain>
            """, Ct);
        try
        {
            var cut = Render<VmSerialLog>(p => p.Add(c => c.VmId, id));
            Assert.Equal("The VM has not written to its console yet.", cut.WaitForElement("[data-testid=vm-console-unavailable]").TextContent);

            // Looked at every two seconds while there is nothing to follow, every half second once there is.
            await File.WriteAllTextAsync(log, "boot\r\nCOUNTER 1\r\n", Ct);
            cut.WaitForAssertion(() => Assert.Equal("boot\nCOUNTER 1\n", cut.Find("[data-testid=vm-console]").TextContent), TimeSpan.FromSeconds(10));
            Assert.Empty(cut.FindAll("[data-testid=vm-console-unavailable]"));
            await File.AppendAllTextAsync(log, "COUNTER 2\r\n", Ct);
            cut.WaitForAssertion(() => Assert.EndsWith("COUNTER 2\n", cut.Find("[data-testid=vm-console]").TextContent), TimeSpan.FromSeconds(10));
        }
        finally { File.Delete(log); }
    }

    [Fact]
    public async Task Console_OnTheEmbeddedTestHost_SaysItHasNoConsoleAndOpensNothing()
    {
        SetRendererInfo(new RendererInfo("Server", isInteractive: true));
        var vm = (await Get<PortalQueries>().VmsAsync(Ct)).First(v => v.Status == VmStatus.Up);

        var cut = Render<VmConsole>(p => p.Add(c => c.VmId, vm.Id).Add(c => c.Status, vm.Status));

        var serial = cut.WaitForElement("[data-testid=vm-serial-unavailable]");
        Assert.StartsWith("The embedded test host has no console;", serial.TextContent);
        cut.FindAll("[role=tab]").Single(t => t.TextContent.Trim() == "Graphical").Click();
        Assert.StartsWith("The embedded test host has no console;", cut.WaitForElement("[data-testid=vm-vnc-unavailable]").TextContent);
        Assert.Empty(cut.FindAll("[data-testid=vm-serial-terminal]"));
        Assert.DoesNotContain(JSInterop.Invocations, i => i.Identifier is "openSerial" or "openVnc");
    }

    [Fact]
    public async Task Console_UserWithoutARole_IsToldWhyAndOpensNothing()
    {
        SetRendererInfo(new RendererInfo("Server", isInteractive: true));
        Auth.SetAuthorized("visitor").SetRoles();
        var vm = (await Get<PortalQueries>().VmsAsync(Ct)).First(v => v.Status == VmStatus.Up);

        var cut = Render<VmConsole>(p => p.Add(c => c.VmId, vm.Id).Add(c => c.Status, vm.Status));

        Assert.Equal("Opening a console needs the Admin or Helpdesk role; visitor has neither.",
            cut.WaitForElement("[data-testid=vm-serial-unavailable]").TextContent);
    }

    [Fact]
    public async Task SerialTerminal_SecondOperator_SeesAReadOnlyViewNamingTheWriter()
    {
        var cut = RenderTerminal(VmStatus.Up);
        cut.WaitForAssertion(() => Assert.Single(JSInterop.Invocations, i => i.Identifier == "openSerial"));

        await cut.InvokeAsync(() => cut.Instance.OnSerialRole(false, "alice"));

        var notice = cut.Find("[data-testid=vm-serial-readonly]");
        Assert.Contains("Read-only: alice is typing in this console.", notice.TextContent);
        Assert.Equal("Connected, read-only", cut.Find("[data-testid=vm-serial-state]").TextContent.Trim());
        Assert.Empty(cut.FindAll("[data-testid=vm-serial-writer]"));

        // The writer left: this viewer types now.
        await cut.InvokeAsync(() => cut.Instance.OnSerialRole(true, "helpdesk"));
        Assert.Empty(cut.FindAll("[data-testid=vm-serial-readonly]"));
        Assert.NotNull(cut.Find("[data-testid=vm-serial-writer]"));
    }

    [Fact]
    public async Task SerialTerminal_VmRestoringState_SaysSoAndReconnectsWhenItRuns()
    {
        var cut = RenderTerminal(VmStatus.Up);
        cut.WaitForAssertion(() => Assert.Single(JSInterop.Invocations, i => i.Identifier == "openSerial"));
        await cut.InvokeAsync(() => cut.Instance.OnSerialRole(true, "admin"));

        // A run from memory: the domain's process goes away, the page shows Restoring state, then Up.
        await cut.InvokeAsync(() => cut.Instance.OnSerialClosed(""));
        cut.Render(p => p.Add(c => c.Status, VmStatus.RestoringState));
        Assert.Equal("Restoring state: the console reconnects when the VM runs again.", cut.Find("[data-testid=vm-console-restoring]").TextContent);
        Assert.DoesNotContain(JSInterop.Invocations, i => i.Identifier == "reconnectSerial");

        cut.Render(p => p.Add(c => c.Status, VmStatus.Up));
        cut.WaitForAssertion(() => Assert.Contains(JSInterop.Invocations, i => i.Identifier == "reconnectSerial"));
        Assert.Empty(cut.FindAll("[data-testid=vm-console-restoring]"));
        Assert.Single(JSInterop.Invocations, i => i.Identifier == "openSerial"); // the same terminal, its scrollback kept
    }

    [Fact]
    public void SerialTerminal_VmDown_WaitsWithoutConnecting()
    {
        var cut = RenderTerminal(VmStatus.Down);

        Assert.Equal("The VM is not running; its console opens when it starts.", cut.Find("[data-testid=vm-serial-down]").TextContent);
        Assert.DoesNotContain(JSInterop.Invocations, i => i.Identifier == "openSerial");

        cut.Render(p => p.Add(c => c.Status, VmStatus.Up));
        cut.WaitForAssertion(() => Assert.Single(JSInterop.Invocations, i => i.Identifier == "openSerial"));
    }

    [Theory]
    [InlineData(typeof(VmSerialTerminal), "openSerial", "Terminal requires a parent element.\nError: Terminal requires a parent element.")]
    [InlineData(typeof(VmGraphicalConsole), "openVnc", "Cannot read properties of null (reading 'appendChild')")]
    public async Task Console_LeftWhileTheBrowserOpensIt_ItsFailureDoesNotEndThePage(Type console, string open, string error)
    {
        // The Log tab chosen right after the Console tab: the console's element is gone when xterm.js or noVNC is handed it.
        SetRendererInfo(new RendererInfo("Server", isInteractive: true));
        var opening = new PendingOpen(open);
        JSInterop.SetupModule(Module).AddInvocationHandler(opening);
        var cut = RenderRunningConsole(console);
        cut.WaitForAssertion(() => Assert.Single(JSInterop.Invocations, i => i.Identifier == open));

        await DisposeComponentsAsync();
        opening.Fail(new JSException(error));
        await Renderer.Dispatcher.InvokeAsync(() => { });

        Assert.Null(Renderer.UnhandledException.IsCompleted ? await Renderer.UnhandledException : null);
    }

    [Theory]
    [InlineData(typeof(VmSerialTerminal), "openSerial", "disposeSerial")]
    [InlineData(typeof(VmGraphicalConsole), "openVnc", "disposeVnc")]
    public async Task Console_LeftWhileTheBrowserOpensIt_ClosesWhatTheBrowserOpened(Type console, string open, string close)
    {
        // The Log tab chosen while the browser was opening the console (its module already loaded): the socket the
        // browser opens must be closed, or it stays the console's writer (the screen's controller) for nobody, and the
        // operator's next terminal on this VM is read-only. A module the page let go of cannot close it any more.
        SetRendererInfo(new RendererInfo("Server", isInteractive: true));
        var opening = new PendingOpen(open);
        JSInterop.SetupModule(Module).AddInvocationHandler(opening);
        RenderRunningConsole(console);
        await Wait.UntilAsync(() => JSInterop.Invocations.Any(i => i.Identifier == open), $"the page to call {open}");

        await DisposeComponentsAsync();
        var opened = new OpenedConsole();
        opening.Succeed(opened);
        await Renderer.Dispatcher.InvokeAsync(() => { });

        await Wait.UntilAsync(() => _modules.Released, "the page to let go of the module");
        var closed = Assert.Single(JSInterop.Invocations, i => i.Identifier == close);
        Assert.Same(opened, closed.Arguments[0]);
        Assert.Empty(_modules.CalledAfterRelease);
        Assert.Null(Renderer.UnhandledException.IsCompleted ? await Renderer.UnhandledException : null);
    }

    [Fact]
    public async Task SerialTerminal_BrowserCannotOpenIt_SaysWhyAndDoesNotRetryInALoop()
    {
        SetRendererInfo(new RendererInfo("Server", isInteractive: true));
        var open = new PendingOpen("openSerial");
        JSInterop.SetupModule(Module).AddInvocationHandler(open);
        var cut = Render<VmSerialTerminal>(p => p.Add(c => c.VmId, Guid.NewGuid()).Add(c => c.Status, VmStatus.Up));
        cut.WaitForAssertion(() => Assert.Single(JSInterop.Invocations, i => i.Identifier == "openSerial"));

        open.Fail(new JSException("WebGL is off.\nError: WebGL is off."));

        cut.WaitForAssertion(() => Assert.Equal("The browser could not open the console: WebGL is off. Reload the page to try again.",
            cut.Find("[data-testid=vm-serial-failed]").TextContent));
        Assert.Equal("Not connected", cut.Find("[data-testid=vm-serial-state]").TextContent.Trim());
        cut.Render(p => p.Add(c => c.Status, VmStatus.Up)); // renders after it do not open it again
        Assert.Single(JSInterop.Invocations, i => i.Identifier == "openSerial");
        Assert.Null(Renderer.UnhandledException.IsCompleted ? await Renderer.UnhandledException : null);
    }

    [Fact]
    public void GraphicalConsole_SecondViewer_SeesWhoUsesTheScreen_AndControlsItWhenTheyLeave()
    {
        SetRendererInfo(new RendererInfo("Server", isInteractive: true));
        var module = JSInterop.SetupModule(Module);
        module.SetupModule("openVnc", _ => true);
        var vm = Guid.NewGuid();
        var viewers = Get<VncViewers>();
        // alice's page opened the screen first (the proxy registered her connection).
        var alice = viewers.Join(vm, Guid.NewGuid(), "alice", out _);

        var cut = Render<VmGraphicalConsole>(p => p.Add(c => c.VmId, vm).Add(c => c.Status, VmStatus.Up));
        cut.WaitForAssertion(() => Assert.Single(JSInterop.Invocations, i => i.Identifier == "openVnc"));
        var path = (string)JSInterop.Invocations.Single(i => i.Identifier == "openVnc").Arguments[1]!;
        Assert.StartsWith($"/consoles/vms/{vm}/vnc?viewer=", path);
        Assert.Empty(cut.FindAll("[data-testid=vm-vnc-role]")); // not connected yet: no role to show

        // The proxy accepts this page's connection, under the page's id.
        using var mine = viewers.Join(vm, Guid.Parse(path[(path.IndexOf('=') + 1)..]), "admin", out _);

        cut.WaitForAssertion(() => Assert.Equal("Read-only: alice is using the screen", cut.Find("[data-testid=vm-vnc-role]").TextContent.Trim()));
        // noVNC stops offering input too (the proxy drops it anyway).
        cut.WaitForAssertion(() => Assert.Equal(true, LastViewOnly()));

        alice.Dispose();

        cut.WaitForAssertion(() => Assert.Equal("You control the screen", cut.Find("[data-testid=vm-vnc-role]").TextContent.Trim()));
        cut.WaitForAssertion(() => Assert.Equal(false, LastViewOnly()));
    }

    /// <summary>
    /// A console's open call in the browser that has not answered yet; <see cref="Fail"/> makes it throw, <see cref="Succeed"/>
    /// answers with the browser's console object.
    /// </summary>
    private sealed class PendingOpen(string identifier) : JSRuntimeInvocationHandlerBase<IJSObjectReference>(i => i.Identifier == identifier, isCatchAllHandler: false)
    {
        public void Fail(JSException error) => SetExceptionBase(error);

        public void Succeed(IJSObjectReference opened) => SetResultBase(opened);
    }

    /// <summary>The browser's console object (xterm.js or noVNC with its socket) as the page holds it.</summary>
    private sealed class OpenedConsole : IJSObjectReference
    {
        public ValueTask<TValue> InvokeAsync<TValue>(string identifier, object?[]? args) => ValueTask.FromResult(default(TValue)!);

        public ValueTask<TValue> InvokeAsync<TValue>(string identifier, CancellationToken cancellationToken, object?[]? args) => ValueTask.FromResult(default(TValue)!);

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }

    /// <summary>
    /// bUnit's JS runtime, with the lifetime of an imported module as Blazor's own JSObjectReference has it: once the page
    /// disposes it, a call on it throws ObjectDisposedException and reaches no browser. Records the calls made after that.
    /// </summary>
    private sealed class ModuleLifetimes(IJSRuntime inner) : IJSRuntime
    {
        private readonly List<string> _calledAfterRelease = [];

        public bool Released { get; private set; }

        public IReadOnlyList<string> CalledAfterRelease => _calledAfterRelease;

        public ValueTask<TValue> InvokeAsync<TValue>(string identifier, object?[]? args) => InvokeAsync<TValue>(identifier, CancellationToken.None, args);

        public async ValueTask<TValue> InvokeAsync<TValue>(string identifier, CancellationToken cancellationToken, object?[]? args)
        {
            var value = await inner.InvokeAsync<TValue>(identifier, cancellationToken, args);
            return identifier == "import" && value is IJSObjectReference module ? (TValue)(object)new Module(this, module) : value;
        }

        private sealed class Module(ModuleLifetimes owner, IJSObjectReference inner) : IJSObjectReference
        {
            public ValueTask<TValue> InvokeAsync<TValue>(string identifier, object?[]? args) => InvokeAsync<TValue>(identifier, CancellationToken.None, args);

            public ValueTask<TValue> InvokeAsync<TValue>(string identifier, CancellationToken cancellationToken, object?[]? args)
            {
                if (owner.Released)
                {
                    owner._calledAfterRelease.Add(identifier);
                    throw new ObjectDisposedException(nameof(IJSObjectReference));
                }
                return inner.InvokeAsync<TValue>(identifier, cancellationToken, args);
            }

            public ValueTask DisposeAsync()
            {
                owner.Released = true;
                return ValueTask.CompletedTask;
            }
        }
    }

    /// <summary>What the page last told noVNC about input (setVncViewOnly); null when it never did.</summary>
    private bool? LastViewOnly() =>
        JSInterop.Invocations.Where(i => i.Identifier == "setVncViewOnly").Select(i => (bool?)i.Arguments[1]).LastOrDefault();

    /// <summary>Renders <paramref name="console"/> (VmSerialTerminal or VmGraphicalConsole) for a running VM.</summary>
    private IRenderedComponent<IComponent> RenderRunningConsole(Type console) => Render(b =>
    {
        b.OpenComponent(0, console);
        b.AddComponentParameter(1, nameof(VmSerialTerminal.VmId), Guid.NewGuid());
        b.AddComponentParameter(2, nameof(VmSerialTerminal.Status), VmStatus.Up);
        b.CloseComponent();
    });

    private IRenderedComponent<VmSerialTerminal> RenderTerminal(VmStatus status)
    {
        SetRendererInfo(new RendererInfo("Server", isInteractive: true));
        var module = JSInterop.SetupModule(Module);
        module.SetupModule("openSerial", _ => true);
        return Render<VmSerialTerminal>(p => p.Add(c => c.VmId, Guid.NewGuid()).Add(c => c.Status, status));
    }
}
