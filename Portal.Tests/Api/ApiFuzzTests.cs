using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Xml.Linq;
using static Portal.Tests.Api.ApiTestExtensions;

namespace Portal.Tests.Api;

/// <summary>
/// A few hundred generated bad requests against every changing endpoint. Each is bad in a way that must be refused
/// (a broken or hostile body, a wrong type, an unknown id, or a well-formed action the VM's state refuses), so
/// the portal must answer every one with a 4xx fault, never a 5xx, and no row may change.
/// </summary>
public sealed class ApiFuzzTests(PortalApiFactory app) : IClassFixture<PortalApiFactory>
{
    private const int Requests = 300;

    [Fact]
    public async Task Api_HundredsOfGeneratedBadRequests_AnswersEachWith4xxFaultAndChangesNothing()
    {
        var random = new Random(20261126);
        using var client = await app.BearerAsync("admin@internal", PortalApiFactory.AdminPassword);
        var activeId = await ActiveSnapshotAsync(client);
        var before = await app.CountRowsAsync();
        var problems = new List<string>();

        for (var i = 0; i < Requests; i++)
        {
            var (method, path, body, label) = Generate(random, activeId);
            using var request = new HttpRequestMessage(method, path) { Content = body };
            request.Headers.Accept.ParseAdd(random.Next(3) == 0 ? "application/json" : "application/xml");
            var response = await client.SendAsync(request, Ct);
            var text = await response.Content.ReadAsStringAsync(Ct);
            var status = (int)response.StatusCode;
            if (status is < 400 or >= 500) problems.Add($"#{i} {label} {method} {path}: {status} {Shorten(text)}");
            else if (!IsFault(response, text)) problems.Add($"#{i} {label}: {status} without a fault body: {Shorten(text)}");
        }

        Assert.True(problems.Count == 0, string.Join(Environment.NewLine, problems));
        Assert.Equal(before, await app.CountRowsAsync());
    }

    private static (HttpMethod, string, HttpContent?, string) Generate(Random r, string activeId)
    {
        var web = Vm(PortalApiFactory.WebFrontend);
        var agent = Vm(PortalApiFactory.BuildAgent);
        switch (r.Next(9))
        {
            case 0:
            case 1:
            {
                // Creating would change things, so every body here is broken or mistyped.
                var (content, label) = BrokenSnapshotBody(r);
                return (HttpMethod.Post, $"{web}/snapshots", content, "create:" + label);
            }
            case 2:
            {
                // Well-formed or not, these actions are refused: web-frontend is up, build-agent is down and in no preview.
                string[] refused = [$"{web}/start", $"{agent}/stop", $"{agent}/shutdown", $"{agent}/commitsnapshot", $"{agent}/undosnapshot", $"{web}/previewsnapshot"];
                var (content, label) = AnyActionBody(r, activeId);
                return (HttpMethod.Post, refused[r.Next(refused.Length)], content, "action:" + label);
            }
            case 3:
            {
                var (content, label) = AnyActionBody(r, activeId);
                return (HttpMethod.Post, $"{web}/snapshots/{(r.Next(2) == 0 ? activeId : Guid.NewGuid().ToString())}/restore", content, "restore:" + label);
            }
            case 4:
                return (HttpMethod.Delete, $"{(r.Next(2) == 0 ? web : agent)}/snapshots/{JunkId(r)}", null, "delete");
            case 5:
            {
                string[] actions = ["start", "stop", "shutdown", "previewsnapshot", "commitsnapshot", "undosnapshot", "snapshots"];
                var (content, label) = AnyActionBody(r, activeId);
                return (HttpMethod.Post, $"{Base}/vms/{JunkId(r)}/{actions[r.Next(actions.Length)]}", content, "unknown-vm:" + label);
            }
            case 6:
            {
                string[] reads = [$"{Base}/vms/{JunkId(r)}", $"{web}/snapshots/{JunkId(r)}", $"{Base}/clusters/{JunkId(r)}", $"{Base}/hosts/{JunkId(r)}",
                    $"{Base}/storagedomains/{JunkId(r)}", $"{Base}/events/{JunkId(r)}", $"{Base}/events?max={Uri.EscapeDataString(JunkText(r, 8))}x",
                    $"{Base}/{JunkText(r, 6).Replace("/", "").Replace("?", "")}x/{r.Next()}"];
                return (HttpMethod.Get, reads[r.Next(reads.Length)], null, "read");
            }
            case 7:
            {
                HttpMethod[] methods = [HttpMethod.Put, HttpMethod.Patch, HttpMethod.Delete, HttpMethod.Post];
                string[] paths = [$"{Base}/vms", web, $"{web}/snapshots", $"{Base}/clusters", Base, $"{Base}/events"];
                var path = paths[r.Next(paths.Length)];
                var method = methods[r.Next(methods.Length)];
                if (method == HttpMethod.Post && path == $"{web}/snapshots") method = HttpMethod.Put;
                return (method, path, Raw(Encoding.UTF8.GetBytes("<vm/>"), "application/xml"), "method");
            }
            default:
            {
                // Broken bodies on a refused action, with odd content types.
                var (content, label) = BrokenSnapshotBody(r);
                return (HttpMethod.Post, $"{agent}/commitsnapshot", content, "commit:" + label);
            }
        }
    }

    private static (HttpContent, string) BrokenSnapshotBody(Random r)
    {
        var valid = $"<snapshot><description>fuzz {r.Next()}</description><persist_memorystate>true</persist_memorystate></snapshot>";
        var validJson = $$"""{"description": "fuzz {{r.Next()}}", "persist_memorystate": true}""";
        switch (r.Next(14))
        {
            case 0: return (Raw(RandomBytes(r, r.Next(1, 2000)), ContentType(r)), "random-bytes");
            case 1: return (Raw(Encoding.UTF8.GetBytes(valid[..r.Next(1, valid.Length - 1)]), "application/xml"), "truncated-xml");
            case 2: return (Raw(Encoding.UTF8.GetBytes(validJson[..r.Next(1, validJson.Length - 1)]), "application/json"), "truncated-json");
            case 3: return (Xml(valid.Replace("true", JunkWord(r))), "bad-boolean");
            case 4:
            {
                string[] wrong = ["42", "[]", "{}", "true", "[\"a\",\"b\"]", "{\"x\": 1}"];
                return (Json($$"""{"description": {{wrong[r.Next(wrong.Length)]}}}"""), "wrong-type-description");
            }
            case 5:
            {
                string[] wrong = ["\"sometimes\"", "2", "[true]", "{\"v\": true}", "-1", "1.5"];
                return (Json($$"""{"description": "x", "persist_memorystate": {{wrong[r.Next(wrong.Length)]}}}"""), "wrong-type-persist");
            }
            case 6:
            {
                string[] dtds =
                [
                    "<!DOCTYPE snapshot [<!ENTITY x SYSTEM \"file:///etc/passwd\">]><snapshot><description>&x;</description></snapshot>",
                    "<!DOCTYPE snapshot [<!ENTITY a \"aaaaaaaaaa\"><!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;\">]><snapshot><description>&b;</description></snapshot>",
                    "<!DOCTYPE snapshot SYSTEM \"http://127.0.0.1:1/evil.dtd\"><snapshot><description>x</description></snapshot>",
                    "<?xml version=\"1.0\"?><!DOCTYPE snapshot [<!ELEMENT snapshot ANY>]><snapshot><description>x</description></snapshot>",
                ];
                return (Xml(dtds[r.Next(dtds.Length)]), "dtd");
            }
            case 7:
            {
                var depth = r.Next(40, 300);
                return (Json("{\"description\": " + new string('[', depth) + new string(']', depth) + "}"), "deep-json");
            }
            case 8:
            {
                string[] roots = ["vm", "action", "snapshots", "fault", "Snapshot", "x:snapshot"];
                var root = roots[r.Next(roots.Length)];
                return (Xml(root.Contains(':') ? $"<{root} xmlns:x=\"urn:x\"><description>x</description></{root}>" : $"<{root}><description>x</description></{root}>"), "wrong-root");
            }
            case 9: return (Xml($"<snapshot><description>a{(char)r.Next(1, 9)}b</description></snapshot>"), "control-char");
            case 10:
                return (Raw([.. "{\"description\": \""u8.ToArray(), .. RandomInvalidUtf8(r), .. "\"}"u8.ToArray()], "application/json"), "invalid-utf8");
            case 11: return (Raw(Encoding.UTF8.GetBytes(valid), JunkContentType(r)), "unsupported-content-type");
            case 12: return (r.Next(2) == 0 ? Xml("   ") : Json(""), "empty");
            default:
            {
                var size = 1024 * 1024 + r.Next(1, 4096);
                return (Raw(Encoding.UTF8.GetBytes("<snapshot><description>" + new string('z', size) + "</description></snapshot>"), "application/xml"), "too-large");
            }
        }
    }

    private static (HttpContent?, string) AnyActionBody(Random r, string activeId) => r.Next(6) switch
    {
        0 => (null, "none"),
        1 => (Action(), "empty-action"),
        2 => (Action($"<snapshot id=\"{(r.Next(2) == 0 ? activeId : JunkId(r))}\"/><restore_memory>{JunkWord(r)}</restore_memory>"), "action-junk"),
        3 => (Json($$"""{"snapshot": {"id": "{{activeId}}"}, "restore_memory": {{(r.Next(2) == 0 ? "true" : "\"no\"")}}}"""), "json-action"),
        _ => BrokenSnapshotBody(r),
    };

    private static ByteArrayContent Raw(byte[] bytes, string? contentType)
    {
        var content = new ByteArrayContent(bytes);
        if (contentType is not null) content.Headers.TryAddWithoutValidation("Content-Type", contentType);
        return content;
    }

    private static string? ContentType(Random r) =>
        new[] { "application/xml", "application/json", null, "application/x-www-form-urlencoded", "text/xml", "application/xml; charset=utf-16" }[r.Next(6)];

    private static string JunkContentType(Random r) =>
        new[] { "text/plain", "image/png", "multipart/form-data; boundary=x", "application/octet-stream", "garbage", "application/yaml" }[r.Next(6)];

    private static byte[] RandomBytes(Random r, int length)
    {
        var bytes = new byte[length];
        r.NextBytes(bytes);
        // Never start like a document, so these are never accidentally well-formed.
        if (bytes[0] is (byte)'<' or (byte)'{' or (byte)'[') bytes[0] = 0xFF;
        return bytes;
    }

    private static byte[] RandomInvalidUtf8(Random r) => r.Next(3) switch
    {
        0 => [0xC3, 0x28],
        1 => [0xE2, 0x28, 0xA1],
        _ => [0xF0, 0x28, 0x8C, 0xBC],
    };

    private static string JunkId(Random r) => r.Next(4) switch
    {
        0 => Guid.NewGuid().ToString(),
        1 => JunkText(r, r.Next(1, 40)),
        2 => "00000000-0000-0000-0000-000000000000",
        _ => r.Next().ToString(),
    };

    private static string JunkWord(Random r) => new[] { "maybe", "yes", "TRUE ", "2", "", "null", "tru", "on" }[r.Next(8)] is var w && w.Trim().ToLowerInvariant() is "true" ? "truee" : w is "" ? "nope" : w;

    private static string JunkText(Random r, int length)
    {
        const string alphabet = "abcXYZ019-_.~%'\" <>&;:@!$()*+,=é€";
        var text = new StringBuilder();
        for (var i = 0; i < length; i++) text.Append(alphabet[r.Next(alphabet.Length)]);
        return Uri.EscapeDataString(text.ToString());
    }

    private static bool IsFault(HttpResponseMessage response, string text)
    {
        try
        {
            return response.Content.Headers.ContentType?.MediaType switch
            {
                // An action's fault comes inside the action, as oVirt writes it.
                "application/json" => JsonDocument.Parse(text).RootElement is var j
                                      && (j.TryGetProperty("detail", out _) || j.TryGetProperty("fault", out var jf) && jf.TryGetProperty("detail", out _)),
                "application/xml" => XElement.Parse(text) is var x
                                     && (x is { Name.LocalName: "fault" } && x.Element("detail") is not null
                                         || x is { Name.LocalName: "action" } && x.Element("fault")?.Element("detail") is not null),
                _ => false,
            };
        }
        catch (Exception ex) when (ex is JsonException or System.Xml.XmlException) { return false; }
    }

    private static string Shorten(string s) => s.Length <= 300 ? s : s[..300] + "…";

    private static async Task<string> ActiveSnapshotAsync(HttpClient client)
    {
        var snapshots = await (await client.Get($"{Vm(PortalApiFactory.WebFrontend)}/snapshots")).XmlAsync(HttpStatusCode.OK);
        return snapshots.Elements("snapshot").Single(s => s.Text("snapshot_type") == "active").Attribute("id")!.Value;
    }
}
