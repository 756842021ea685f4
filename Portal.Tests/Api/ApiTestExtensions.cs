using System.Net;
using System.Text;
using System.Text.Json;
using System.Xml.Linq;

namespace Portal.Tests.Api;

/// <summary>Reading replies the way an oVirt client does, and waiting on conditions (never on fixed sleeps).</summary>
public static class ApiTestExtensions
{
    public const string Base = "/ovirt-engine/api";

    public static CancellationToken Ct => TestContext.Current.CancellationToken;

    public static Task<HttpResponseMessage> Get(this HttpClient client, string path) => client.GetAsync(path, Ct);

    public static Task<HttpResponseMessage> Post(this HttpClient client, string path, HttpContent? body) => client.PostAsync(path, body, Ct);

    public static Task<HttpResponseMessage> Delete(this HttpClient client, string path) => client.DeleteAsync(path, Ct);

    public static string Vm(Guid id) => $"{Base}/vms/{id}";

    public static StringContent Action(string inner = "") => Xml($"<action>{inner}</action>");

    public static StringContent Xml(string xml) => new(xml, Encoding.UTF8, "application/xml");

    public static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    public static async Task<XElement> XmlAsync(this HttpResponseMessage response, HttpStatusCode expected)
    {
        var body = await response.Content.ReadAsStringAsync(Ct);
        Assert.True(expected == response.StatusCode, $"Expected {(int)expected}, got {(int)response.StatusCode}: {body}");
        Assert.StartsWith("application/xml", response.Content.Headers.ContentType?.ToString());
        return XElement.Parse(body);
    }

    public static async Task<JsonElement> JsonAsync(this HttpResponseMessage response, HttpStatusCode expected)
    {
        var body = await response.Content.ReadAsStringAsync(Ct);
        Assert.True(expected == response.StatusCode, $"Expected {(int)expected}, got {(int)response.StatusCode}: {body}");
        Assert.StartsWith("application/json", response.Content.Headers.ContentType?.ToString());
        return JsonDocument.Parse(body).RootElement.Clone();
    }

    /// <summary>
    /// A created snapshot: 202 while its command is still under way, or 201 when it had already finished by the
    /// time of the reply (quick on the test driver); oVirt clients accept both.
    /// </summary>
    public static Task<XElement> CreatedXmlAsync(this HttpResponseMessage response) =>
        response.XmlAsync(response.StatusCode == HttpStatusCode.Created ? HttpStatusCode.Created : HttpStatusCode.Accepted);

    public static Task<JsonElement> CreatedJsonAsync(this HttpResponseMessage response) =>
        response.JsonAsync(response.StatusCode == HttpStatusCode.Created ? HttpStatusCode.Created : HttpStatusCode.Accepted);

    /// <summary>Asserts the status and a fault body (XML or JSON, whichever came) and returns its detail.</summary>
    public static async Task<string> FaultAsync(this HttpResponseMessage response, HttpStatusCode expected)
    {
        var body = await response.Content.ReadAsStringAsync(Ct);
        Assert.True(expected == response.StatusCode, $"Expected {(int)expected}, got {(int)response.StatusCode}: {body}");
        var type = response.Content.Headers.ContentType?.MediaType;
        if (type == "application/json")
        {
            var json = JsonDocument.Parse(body).RootElement;
            // An action's fault comes inside the action: {"fault": {...}, "status": "failed"}.
            if (json.TryGetProperty("fault", out var inner))
            {
                Assert.Equal("failed", json.GetProperty("status").GetString());
                json = inner;
            }
            Assert.False(string.IsNullOrEmpty(json.GetProperty("reason").GetString()));
            return json.GetProperty("detail").GetString()!;
        }
        Assert.Equal("application/xml", type);
        var fault = XElement.Parse(body);
        // An action's fault comes inside the action, as oVirt writes it: <action><fault/><status>failed</status></action>.
        if (fault.Name.LocalName == "action")
        {
            Assert.Equal("failed", fault.Element("status")?.Value);
            fault = fault.Element("fault")!;
        }
        Assert.Equal("fault", fault.Name.LocalName);
        Assert.False(string.IsNullOrEmpty(fault.Element("reason")?.Value));
        return fault.Element("detail")!.Value;
    }

    public static string Text(this XElement e, string name) => e.Element(name)?.Value ?? throw new Xunit.Sdk.XunitException($"<{e.Name}> has no <{name}>: {e}");

    /// <summary>Polls <paramref name="read"/> until <paramref name="done"/> holds, as an oVirt client polls a locked snapshot.</summary>
    public static async Task<T> PollAsync<T>(Func<Task<T>> read, Func<T, bool> done, string what, int timeoutSeconds = 30)
    {
        var deadline = DateTime.UtcNow.AddSeconds(timeoutSeconds);
        while (true)
        {
            var value = await read();
            if (done(value)) return value;
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"Timed out waiting for {what}; last value: {value}");
            await Task.Delay(50);
        }
    }
}
