namespace Portal.Tests.Support;

/// <summary>A test class whose every test gets its own freshly started portal core (own libvirt state, own database).</summary>
public abstract class PortalTest(bool injectFaults = false) : IAsyncLifetime
{
    protected PortalFixture Portal { get; private set; } = null!;

    protected static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync() => Portal = await PortalFixture.StartAsync(injectFaults);

    public async ValueTask DisposeAsync()
    {
        if (Portal is not null) await Portal.DisposeAsync();
        GC.SuppressFinalize(this);
    }
}
