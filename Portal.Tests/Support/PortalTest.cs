namespace Portal.Tests.Support;

/// <summary>A test class whose every test gets its own freshly started portal core (own libvirt state, own database).</summary>
/// <param name="settings">Configuration on top of the data folder (the Hosts section's timings, say). Default: none.</param>
public abstract class PortalTest(bool injectFaults = false, IReadOnlyDictionary<string, string?>? settings = null) : IAsyncLifetime
{
    protected PortalFixture Portal { get; private set; } = null!;

    protected static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync() => Portal = await PortalFixture.StartAsync(injectFaults, settings);

    public async ValueTask DisposeAsync()
    {
        if (Portal is not null) await Portal.DisposeAsync();
        GC.SuppressFinalize(this);
    }
}
