namespace Portal.E2E.Infrastructure;

/// <summary>
/// Waits for a backend condition, as Playwright's <c>Expect</c> does for the page: the portal writes some rows
/// (audit entries) just after the page has already shown the change. Not a retry of a flaky action: the condition
/// is read again until it holds or the timeout says why not. A test that runs out of its own time (xunit's
/// <c>Timeout</c>) stops polling at once: the test's cancellation token ends the wait.
/// </summary>
public static class Poll
{
    public static async Task<T> UntilAsync<T>(Func<Task<T>> read, Func<T, bool> done, string what, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(15));
        while (true)
        {
            var value = await read();
            if (done(value)) return value;
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"Timed out waiting for {what}; last seen: {Describe(value)}");
            await Task.Delay(25, TestContext.Current.CancellationToken);
        }
    }

    private static string Describe<T>(T value) =>
        value is System.Collections.IEnumerable items and not string
            ? "[" + string.Join(", ", items.Cast<object?>()) + "]"
            : value?.ToString() ?? "null";
}
