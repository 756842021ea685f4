using Portal.Core;

namespace Portal.Tests;

public sealed class SharedViewTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public void MarkStale_OneHandlerThrows_EveryOtherPageIsStillToldAndTheFailureSurfaces()
    {
        var view = new SharedView<int>(() => Task.FromResult(1), TimeProvider.System);
        var told = 0;
        view.Changed += () => throw new InvalidOperationException("a closed page");
        view.Changed += () => told++;

        var thrown = Assert.Throws<InvalidOperationException>(view.MarkStale);

        Assert.Equal("a closed page", thrown.Message);
        Assert.Equal(1, told);
    }

    [Fact]
    public async Task CurrentAsync_AReadFailed_TheNextCallerReadsAgainInsteadOfGettingTheFailure()
    {
        var reads = 0;
        var view = new SharedView<int>(() => ++reads == 1 ? throw new TimeoutException("the database did not answer") : Task.FromResult(reads), TimeProvider.System);

        await Assert.ThrowsAsync<TimeoutException>(() => view.CurrentAsync(Ct));
        var second = await view.CurrentAsync(Ct);
        var third = await view.CurrentAsync(Ct);

        Assert.Equal(2, second);
        Assert.Equal(2, third);
        Assert.Equal(2, reads);
    }

    [Fact]
    public async Task CurrentAsync_WithAMaxAge_ReadsAgainOnlyAViewOlderThanItAndTellsNoOpenPage()
    {
        var clock = new Clock();
        var reads = 0;
        var view = new SharedView<int>(() => Task.FromResult(++reads), clock);
        var told = 0;
        view.Changed += () => told++;
        var maxAge = TimeSpan.FromSeconds(5);

        Assert.Equal(1, await view.CurrentAsync(Ct));
        clock.Now += TimeSpan.FromSeconds(4);
        Assert.Equal(1, await view.CurrentAsync(maxAge, Ct)); // young enough
        clock.Now += TimeSpan.FromSeconds(2);
        Assert.Equal(1, await view.CurrentAsync(Ct)); // without a max age: kept until a change
        Assert.Equal(2, await view.CurrentAsync(maxAge, Ct)); // 6 s old: read again
        Assert.Equal(2, await view.CurrentAsync(Ct)); // and shared from then on

        Assert.Equal((2, 0), (reads, told));
    }

    private sealed class Clock : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = new(2026, 12, 6, 10, 0, 0, TimeSpan.Zero);

        public override DateTimeOffset GetUtcNow() => Now;
    }
}
