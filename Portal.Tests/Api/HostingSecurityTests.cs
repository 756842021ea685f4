using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Logging;
using static Portal.Tests.Api.ApiTestExtensions;

namespace Portal.Tests.Api;

/// <summary>HTTPS from configuration (Secure cookie, HSTS), an owner-only database file, a quiet graceful stop.</summary>
public sealed partial class HostingSecurityTests
{
    [Fact]
    public async Task Https_CertificateFromConfiguration_CookieIsSecureAndHstsIsSent()
    {
        var dir = Directory.CreateTempSubdirectory("portal-cert-").FullName;
        try
        {
            var pfx = Path.Combine(dir, "portal.pfx");
            using (var rsa = RSA.Create(2048))
            {
                var request = new CertificateRequest("CN=localhost", rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
                var san = new SubjectAlternativeNameBuilder();
                san.AddIpAddress(IPAddress.Loopback);
                san.AddDnsName("localhost");
                request.CertificateExtensions.Add(san.Build());
                using var cert = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));
                await File.WriteAllBytesAsync(pfx, cert.Export(X509ContentType.Pfx, "cert-pass"), Ct);
            }
            // What docs/README describe: Kestrel's own configuration, here as settings (environment: Kestrel__Endpoints__Https__Url, …).
            await using var app = new PortalApiFactory
            {
                Settings =
                {
                    ["Kestrel:Endpoints:Https:Url"] = "https://127.0.0.1:0",
                    ["Kestrel:Endpoints:Https:Certificate:Path"] = pfx,
                    ["Kestrel:Endpoints:Https:Certificate:Password"] = "cert-pass",
                },
            };
            app.UseKestrel();
            await app.InitializeAsync();
            Assert.Equal("https", app.BaseAddress.Scheme);

            using var handler = new HttpClientHandler { AllowAutoRedirect = false, UseCookies = false, ServerCertificateCustomValidationCallback = (_, _, _, _) => true };
            using var client = new HttpClient(handler) { BaseAddress = app.BaseAddress };
            var page = await client.GetAsync("/account/login", Ct);
            Assert.Equal("max-age=31536000", page.Headers.GetValues("Strict-Transport-Security").Single());
            var html = await page.Content.ReadAsStringAsync(Ct);
            var token = Regex.Match(html, "name=\"__RequestVerificationToken\"[^>]*?value=\"([^\"]+)\"").Groups[1].Value;
            using var post = new HttpRequestMessage(HttpMethod.Post, "/account/login")
            {
                Content = new FormUrlEncodedContent(new Dictionary<string, string>
                    { ["username"] = "admin", ["password"] = PortalApiFactory.AdminPassword, ["returnUrl"] = "/", ["__RequestVerificationToken"] = token }),
            };
            post.Headers.Add("Cookie", string.Join("; ", page.Headers.GetValues("Set-Cookie").Select(c => c.Split(';')[0])));
            var signedIn = await client.SendAsync(post, Ct);
            Assert.Equal(HttpStatusCode.Redirect, signedIn.StatusCode);
            var cookie = signedIn.Headers.GetValues("Set-Cookie").Single(c => c.StartsWith("portal.auth="));
            Assert.Contains("secure", cookie, StringComparison.OrdinalIgnoreCase);
            Assert.Contains("httponly", cookie, StringComparison.OrdinalIgnoreCase);
            Assert.Contains("samesite=strict", cookie, StringComparison.OrdinalIgnoreCase);
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    [Fact]
    public async Task Database_AfterStart_IsOwnerOnly()
    {
        Assert.SkipWhen(Support.TestDatabase.IsPostgres, "The database is PostgreSQL's: no portal.db file.");
        await using var app = new PortalApiFactory();
        await app.InitializeAsync();

        var db = Path.Combine(app.DataDirectory, "portal.db");
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(db));
        foreach (var side in new[] { db + "-wal", db + "-shm" })
            if (File.Exists(side)) Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(side));
    }

    [Fact]
    public async Task GracefulStop_LogsNoErrorAndNothingCritical()
    {
        var app = new PortalApiFactory();
        await app.InitializeAsync();
        using (var client = app.Admin()) await (await client.Get($"{Base}/vms")).XmlAsync(HttpStatusCode.OK);

        await app.DisposeAsync();

        Assert.DoesNotContain(app.Logs.Entries, e => e.Level >= LogLevel.Error);
    }
}
