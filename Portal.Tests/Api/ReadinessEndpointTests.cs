using System.Net;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Portal.Core;
using Portal.Core.Hosts;
using static Portal.Tests.Api.ApiTestExtensions;

namespace Portal.Tests.Api;

/// <summary>
/// The portal listens before its host is connected and reconciled: <c>/healthz</c> says it serves, <c>/healthz/ready</c>
/// answers 503 until start-up has finished, and a command meanwhile is refused with the reason.
/// </summary>
public sealed class ReadinessEndpointTests
{
    [Fact]
    public async Task Restart_WhileTheHostIsStillOpening_LiveIs200ReadyIs503AndStartIsRefusedUntilReady()
    {
        var first = new PortalApiFactory { KeepDataOnDispose = true };
        var directory = first.DataDirectory;
        try { await first.InitializeAsync(); }
        finally { await first.DisposeAsync(); }

        using var gate = new ManualResetEventSlim();
        await using var second = PortalApiFactory.Reopen(directory);
        second.HostOpeningGate = gate;
        try
        {
            using var anonymous = second.Anonymous(json: true);
            var (liveStatus, live) = await HealthAsync(anonymous, "/healthz");
            var (readyStatus, ready) = await HealthAsync(anonymous, "/healthz/ready");
            Assert.Equal((HttpStatusCode.OK, "healthy", "up", "connecting"), (liveStatus, Text(live, "status"), Text(live, "database"), Text(live, "libvirt")));
            Assert.Equal((HttpStatusCode.ServiceUnavailable, "not ready"), (readyStatus, Text(ready, "status")));
            Assert.StartsWith("connecting to test:///", Text(ready, "startup"));

            using var admin = second.Admin(json: true);
            var detail = await (await admin.Post($"{Vm(PortalApiFactory.BuildAgent)}/start", Json("{}"))).FaultAsync(HttpStatusCode.Conflict);
            Assert.Contains(HostConnectionInfo.NotConnected("embedded-test-host", null), detail);

            gate.Set();
            await second.Services.GetRequiredService<PortalReadiness>().WhenReady.WaitAsync(TimeSpan.FromMinutes(2), TestContext.Current.CancellationToken);

            (readyStatus, ready) = await HealthAsync(anonymous, "/healthz/ready");
            Assert.Equal((HttpStatusCode.OK, "ready", "up", "ready"), (readyStatus, Text(ready, "status"), Text(ready, "libvirt"), Text(ready, "startup")));
            var started = await admin.Post($"{Vm(PortalApiFactory.BuildAgent)}/start", Json("{}"));
            Assert.True(started.IsSuccessStatusCode, await started.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        }
        finally { gate.Set(); }
    }

    private static async Task<(HttpStatusCode Status, JsonElement Body)> HealthAsync(HttpClient client, string path)
    {
        using var response = await client.Get(path);
        return (response.StatusCode, JsonDocument.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken)).RootElement.Clone());
    }

    private static string? Text(JsonElement body, string name) => body.GetProperty(name).GetString();
}
