using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text.Json;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Npgsql;
using Portal;
using Portal.Core;
using static Portal.Benchmarks.LatencyBenchmark;

namespace Portal.Benchmarks;

/// <summary>
/// API throughput (issue 13): <c>GET /ovirt-engine/api/vms</c> (every VM, unpaged) with a bearer token over loopback,
/// first sequentially (server time of each request, JSON and the default XML), then with <c>--concurrency</c> clients
/// for <c>--seconds</c> each: requests per second, client p50/p95, and the server's own p50/p95.
/// <para>
/// The portal runs in this process (the real <c>AddPortalCore</c>/<c>AddPortalWeb</c>/<c>UsePortalWeb</c>) on a
/// <c>--data</c> folder seeded by <c>--scale --seed-only</c>, or on a fresh folder with the 7 demo VMs. Server time is
/// taken by a middleware placed before the portal's: from the request entering the pipeline to the last byte of the
/// body handed to Kestrel. The clients share the machine's cores with the server, as a local script would.
/// </para>
/// </summary>
internal static class ApiThroughputBenchmark
{
    private const string Vms = "/ovirt-engine/api/vms";

    public static async Task<int> RunAsync(string[] args)
    {
        var data = Str(args, "--data");
        var postgres = Str(args, "--postgres");
        var seconds = IntArg(args, "--seconds", 30);
        var concurrency = (Str(args, "--concurrency") ?? "1,50").Split(',').Select(int.Parse).ToArray();
        var formats = (Str(args, "--formats") ?? "json").Split(',');
        var fresh = data is null;
        data ??= Directory.CreateTempSubdirectory("portal-api-").FullName;
        string? freshDatabase = null;
        var settings = new Dictionary<string, string?>
        {
            ["Portal:DataDirectory"] = data,
            ["Portal:AdminPassword"] = Password,
            ["Libvirt:Uri"] = null,
        };
        if (postgres is not null)
        {
            var cs = new NpgsqlConnectionStringBuilder(postgres);
            // A fresh demo folder gets a database of its own; a seeded folder names its database in the connection string.
            if (fresh) cs.Database = freshDatabase = "portal_api_" + Guid.NewGuid().ToString("N")[..8];
            settings["Database:Provider"] = "PostgreSQL";
            settings["ConnectionStrings:Portal"] = cs.ConnectionString;
        }
        var timings = new ServerTimings();
        try
        {
            var (app, baseUrl) = await StartAsync(settings, timings);
            await using (app)
            {
                using var http = new HttpClient(new SocketsHttpHandler { PooledConnectionLifetime = Timeout.InfiniteTimeSpan })
                    { BaseAddress = new Uri(baseUrl), Timeout = TimeSpan.FromMinutes(5) };
                http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", await TokenAsync(http));
                var count = (await app.Services.GetRequiredService<PortalQueries>().VmPageAsync(new VmGridQuery(0, 1))).Total;
                Console.WriteLine($"API throughput: GET {Vms} (every VM) with a bearer token over loopback; {count} VMs on " +
                                  $"{(postgres is null ? "SQLite" : "PostgreSQL")}; {Environment.ProcessorCount} cores, .NET {Environment.Version}, " +
                                  $"{BuildConfiguration()} build; load average {LoadAverage()}.");

                Console.WriteLine();
                Console.WriteLine("Sequential, ms (5 warm-up requests dropped):");
                Console.WriteLine("| request | server p50 | server p95 | client p50 | client p95 | body |");
                Console.WriteLine("|---|---:|---:|---:|---:|---:|");
                foreach (var format in new[] { "json", "xml" })
                {
                    var (client, server, bytes) = await SequentialAsync(http, timings, format, count > 1000 ? 20 : 200);
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"| GET /vms ({format}) | {Percentile(server, 50):F1} | {Percentile(server, 95):F1} | {Percentile(client, 50):F1} | {Percentile(client, 95):F1} | {Size(bytes)} |"));
                }

                Console.WriteLine();
                Console.WriteLine($"Concurrent clients, {seconds} s each after a {Math.Min(5, seconds)} s warm-up (latency in ms):");
                Console.WriteLine("| format | clients | requests | req/s | client p50 | client p95 | server p50 | server p95 | load average |");
                Console.WriteLine("|---|---:|---:|---:|---:|---:|---:|---:|---|");
                foreach (var format in formats)
                    foreach (var c in concurrency)
                    {
                        await LoadAsync(http, timings, format, c, TimeSpan.FromSeconds(Math.Min(5, seconds)));
                        var (requests, perSecond, client, server) = await LoadAsync(http, timings, format, c, TimeSpan.FromSeconds(seconds));
                        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                            $"| {format} | {c} | {requests} | {perSecond:F1} | {Percentile(client, 50):F1} | {Percentile(client, 95):F1} | " +
                            $"{Percentile(server, 50):F1} | {Percentile(server, 95):F1} | {LoadAverage()} |"));
                    }
                await app.StopAsync();
            }
            return 0;
        }
        finally
        {
            if (freshDatabase is not null)
            {
                NpgsqlConnection.ClearAllPools();
                await using var c = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(postgres) { Database = "postgres" }.ConnectionString);
                await c.OpenAsync();
                await using var cmd = new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{freshDatabase}\" WITH (FORCE)", c);
                await cmd.ExecuteNonQueryAsync();
            }
            if (fresh) TryDelete(data);
        }
    }

    private static async Task<(List<double> Client, List<double> Server, long Bytes)> SequentialAsync(HttpClient http, ServerTimings timings, string format, int runs)
    {
        var client = new List<double>();
        long bytes = 0;
        for (var i = 0; i < runs + 5; i++)
        {
            if (i == 5) timings.Reset();
            var watch = Stopwatch.StartNew();
            bytes = await GetAsync(http, format);
            if (i >= 5) client.Add(watch.Elapsed.TotalMilliseconds);
        }
        return (client, timings.Reset(), bytes);
    }

    private static async Task<(int Requests, double PerSecond, List<double> Client, List<double> Server)> LoadAsync(
        HttpClient http, ServerTimings timings, string format, int clients, TimeSpan duration)
    {
        timings.Reset();
        var latencies = new ConcurrentQueue<double>();
        var watch = Stopwatch.StartNew();
        var until = watch.Elapsed + duration;
        await Task.WhenAll(Enumerable.Range(0, clients).Select(_ => Task.Run(async () =>
        {
            while (watch.Elapsed < until)
            {
                var start = watch.Elapsed;
                await GetAsync(http, format);
                latencies.Enqueue((watch.Elapsed - start).TotalMilliseconds);
            }
        })));
        var elapsed = watch.Elapsed.TotalSeconds;
        var list = latencies.ToList();
        return (list.Count, list.Count / elapsed, list, timings.Reset());
    }

    /// <summary>One GET of the collection; the body is read to the end and dropped, as a client that parses as it reads.</summary>
    private static async Task<long> GetAsync(HttpClient http, string format)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, Vms);
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue(format == "xml" ? "application/xml" : "application/json"));
        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        response.EnsureSuccessStatusCode();
        await using var body = await response.Content.ReadAsStreamAsync();
        var counter = new CountingStream();
        await body.CopyToAsync(counter);
        return counter.Length;
    }

    internal static async Task<string> TokenAsync(HttpClient http)
    {
        using var token = await http.PostAsync("/ovirt-engine/sso/oauth/token", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "password", ["username"] = "admin@internal", ["password"] = Password, ["scope"] = "ovirt-app-api",
        }));
        token.EnsureSuccessStatusCode();
        return JsonDocument.Parse(await token.Content.ReadAsStringAsync()).RootElement.GetProperty("access_token").GetString()!;
    }

    private static Task<(WebApplication App, string BaseUrl)> StartAsync(Dictionary<string, string?> settings, ServerTimings timings) =>
        InProcessPortal.StartAsync(settings, beforeWeb: app => app.Use(async (context, next) =>
        {
            var start = Stopwatch.GetTimestamp();
            await next(context);
            if (context.Request.Path.StartsWithSegments(Vms)) timings.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
        }));

    private static string LoadAverage()
    {
        try { return string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)); }
        catch (IOException) { return "?"; }
    }

    private static string Size(long bytes) => bytes >= 1 << 20
        ? string.Create(CultureInfo.InvariantCulture, $"{bytes / 1048576.0:F1} MiB")
        : string.Create(CultureInfo.InvariantCulture, $"{bytes / 1024.0:F1} KiB");


    private sealed class ServerTimings
    {
        private ConcurrentQueue<double> _times = new();
        public void Add(double ms) => _times.Enqueue(ms);
        public List<double> Reset() => Interlocked.Exchange(ref _times, new ConcurrentQueue<double>()).ToList();
    }

    /// <summary>A sink that counts what is written to it.</summary>
    private sealed class CountingStream : Stream
    {
        public override long Length => _length;
        private long _length;
        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Position { get => _length; set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => _length += count;
        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            _length += buffer.Length;
            return ValueTask.CompletedTask;
        }
    }
}
