using System.Security.Claims;
using System.Text;
using Microsoft.AspNetCore.Identity;
using Portal.Api;
using Portal.Api.Auth;
using Portal.Api.Endpoints;
using Portal.Api.Model;
using Portal.Core;
using Portal.Core.Auth;
using Portal.Core.Hypervisor;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging.Abstractions;
using Portal.Core.Search;

namespace Portal.Tests.Api;

/// <summary>
/// The cheaper paths behind <c>GET /vms</c> (issue 13) give what the former ones gave: the API's one-query VM rows
/// match the pages' rows and the cluster and host tables the representation used to look up; the bearer principal
/// read in one query has the claims Identity's principal factory gives; the hardware cache answers an old entry at
/// once and reads it again in the background.
/// </summary>
public sealed class ApiAtScaleTests(PortalApiFactory app) : IClassFixture<PortalApiFactory>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task VmResourceRows_OnDemoData_MatchThePagesRowsAndTheClusterAndHostTables()
    {
        var q = app.Services.GetRequiredService<PortalQueries>();
        var search = new CollectionSearch<Core.Vms.Vm>(SearchQuery.Parse(null), PortalSearches.Vms, CaseSensitive: true, Max: null).Validated();

        var rows = await q.SearchVmsAsync(search, Ct);
        var pages = (await q.VmsAsync(ct: Ct)).ToDictionary(v => v.Id);
        var clusters = (await q.ClustersAsync(Ct)).ToDictionary(c => c.Name);
        var hosts = (await q.HostsAsync(Ct)).ToDictionary(h => h.Name);

        Assert.Equal(7, rows.Count);
        Assert.Equal(pages.Values.Select(v => v.Name).Order(StringComparer.Ordinal), rows.Select(r => r.Name));
        foreach (var r in rows)
        {
            var p = pages[r.Id];
            Assert.Equal((p.Name, p.Cluster, p.CompatibilityVersion, p.Host, p.MemoryMiB, p.IsStateless, p.Status, p.StatusSince),
                (r.Name, r.Cluster, r.CompatibilityVersion, r.Host, r.MemoryMiB, r.IsStateless, r.Status, r.StatusSince));
            Assert.Equal(clusters[p.Cluster].Id, r.ClusterId);
            Assert.NotNull(p.Host);
            Assert.Equal((hosts[p.Host].Id, hosts[p.Host].Uri), (r.HostId!.Value, r.HostUri!));
        }
        var one = await q.VmResourceAsync(PortalApiFactory.LegacyErp, Ct);
        Assert.Equal(rows.Single(r => r.Id == PortalApiFactory.LegacyErp), one);
        Assert.Null(await q.VmResourceAsync(Guid.NewGuid(), Ct));
    }

    [Fact]
    public async Task VmsXml_WrittenElementByElement_IsByteForByteTheWholeListSerialization()
    {
        var q = app.Services.GetRequiredService<PortalQueries>();
        var search = new CollectionSearch<Core.Vms.Vm>(SearchQuery.Parse(null), PortalSearches.Vms, CaseSensitive: true, Max: null).Validated();
        var rows = await q.SearchVmsAsync(search, Ct);
        var demo = await VmEndpoints.RepresentAsync(rows, new HashSet<string>(), q, app.Services.GetRequiredService<VmHardwareCache>(),
            app.Services.GetRequiredService<InFlightSnapshots>(), Ct);
        var followed = await VmEndpoints.RepresentAsync(rows, new HashSet<string> { "snapshots", "cluster" }, q,
            app.Services.GetRequiredService<VmHardwareCache>(), app.Services.GetRequiredService<InFlightSnapshots>(), Ct);
        var unsafeName = await VmEndpoints.RepresentAsync(rows.Take(1).ToList(), new HashSet<string>(), q,
            app.Services.GetRequiredService<VmHardwareCache>(), app.Services.GetRequiredService<InFlightSnapshots>(), Ct);
        unsafeName[0].Name = "stored before the check \u0001 <&> \"quoted\"";
        // Many times the demo VMs: past the 32 KiB at which the streamed writer sends what it has.
        var many = Enumerable.Repeat(demo, 200).SelectMany(x => x).ToList();

        foreach (var items in new[] { demo, followed, unsafeName, many, [] })
        {
            var list = new VmList { Items = items };
            using var whole = new MemoryStream();
            OvirtFormat.WriteXml(whole, list);
            using var streamed = new MemoryStream();
            var pipe = System.IO.Pipelines.PipeWriter.Create(streamed);
            await OvirtFormat.WriteXmlCollectionAsync(pipe, list, Ct);
            await pipe.CompleteAsync();
            Assert.Equal(Encoding.UTF8.GetString(whole.ToArray()), Encoding.UTF8.GetString(streamed.ToArray()));
        }
        Assert.True(Encoding.UTF8.GetByteCount(Encoding.UTF8.GetString(WholeXml(new VmList { Items = many }))) > 64 * 1024);
    }

    private static byte[] WholeXml(VmList list)
    {
        using var stream = new MemoryStream();
        OvirtFormat.WriteXml(stream, list);
        return stream.ToArray();
    }

    [Theory]
    [InlineData("admin", PortalApiFactory.AdminPassword)]
    [InlineData(PortalApiFactory.HelpdeskUser, PortalApiFactory.HelpdeskPassword)]
    [InlineData(PortalApiFactory.NoRoleUser, PortalApiFactory.NoRolePassword)]
    public async Task BearerPrincipal_ReadInOneQuery_HasTheClaimsOfIdentitysFactory(string user, string password)
    {
        var token = await app.TokenAsync(user + "@internal", password);
        using var scope = app.Services.CreateScope();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<PortalUser>>();
        var expected = await scope.ServiceProvider.GetRequiredService<SignInManager<PortalUser>>()
            .CreateUserPrincipalAsync((await users.FindByNameAsync(user))!);

        var (actual, refusal) = await app.Services.GetRequiredService<ApiTokens>().ValidateAsync(token, Ct);

        Assert.Null(refusal);
        Assert.NotNull(actual);
        Assert.Equal(Claims(expected), Claims(actual));
        Assert.Equal(expected.Identity!.AuthenticationType, actual.Identity!.AuthenticationType);
        Assert.Equal(expected.Identity.Name, actual.Identity.Name);
        Assert.Equal(expected.IsInRole(Roles.Admin), actual.IsInRole(Roles.Admin));
        Assert.Equal(expected.IsInRole(Roles.Helpdesk), actual.IsInRole(Roles.Helpdesk));
    }

    [Fact]
    public async Task BearerPrincipal_RevokedToken_IsRefusedWithTheRevocationReason()
    {
        var token = await app.TokenAsync(PortalApiFactory.HelpdeskUser + "@internal", PortalApiFactory.HelpdeskPassword);
        var tokens = app.Services.GetRequiredService<ApiTokens>();
        Assert.True(await tokens.RevokeAsync(token, Ct));

        var (principal, refusal) = await tokens.ValidateAsync(token, Ct);

        Assert.Null(principal);
        Assert.Equal(ApiTokens.Revoked, refusal);
    }

    [Fact]
    public async Task HardwareCache_EntryOlderThanAMinute_IsAnsweredAtOnceAndReadAgainInTheBackground()
    {
        var clock = new ManualClock(DateTimeOffset.UtcNow);
        var cache = new VmHardwareCache(app.Services.GetRequiredService<IHypervisor>(), clock, NullLogger<VmHardwareCache>.Instance);
        var q = app.Services.GetRequiredService<PortalQueries>();
        var vm = (await q.VmResourceAsync(PortalApiFactory.WebFrontend, Ct))!;

        var first = (await cache.GetAllAsync([vm], Ct))[vm.Id];
        Assert.Same(first, (await cache.GetAllAsync([vm], Ct))[vm.Id]);

        clock.Advance(TimeSpan.FromMinutes(2));
        Assert.Same(first, (await cache.GetAllAsync([vm], Ct))[vm.Id]);

        // The background read replaces the entry with an equal one read anew (the domain did not change).
        var deadline = DateTime.UtcNow.AddSeconds(30);
        VmHardware again;
        while (ReferenceEquals(again = (await cache.GetAllAsync([vm], Ct))[vm.Id], first) && DateTime.UtcNow < deadline)
            await Task.Delay(5, Ct);
        Assert.NotSame(first, again);
        Assert.Equal(first.DisplayType, again.DisplayType);
        Assert.Equal(first.BootDevices, again.BootDevices);
    }

    [Fact]
    public async Task HardwareCache_AfterStart_HoldsEveryVmBeforeAnyRequest()
    {
        await using var fresh = new PortalApiFactory();
        await fresh.InitializeAsync();
        var warmup = fresh.Services.GetServices<IHostedService>().OfType<VmHardwareWarmup>().Single();
        var cache = fresh.Services.GetRequiredService<VmHardwareCache>();
        var search = new CollectionSearch<Core.Vms.Vm>(SearchQuery.Parse(null), PortalSearches.Vms, CaseSensitive: true, Max: null).Validated();

        await warmup.ExecuteTask!.WaitAsync(TimeSpan.FromSeconds(30), Ct);

        var rows = await fresh.Services.GetRequiredService<PortalQueries>().SearchVmsAsync(search, Ct);
        Assert.Equal(7, rows.Count);
        Assert.All(rows, vm => Assert.True(cache.Holds(vm), $"{vm.Name} was not read"));
        // What was read is the domain's hardware, not the defaults of a VM that could not be read.
        var web = rows.Single(r => r.Id == PortalApiFactory.WebFrontend);
        var fromHost = VmHardware.FromDomainXml(await fresh.Services.GetRequiredService<IHypervisor>().GetDomainXmlAsync(web.Id, inactive: false, Ct));
        var cached = (await cache.GetAllAsync([web], Ct))[web.Id];
        Assert.Equal(fromHost with { BootDevices = [] }, cached with { BootDevices = [] });
        Assert.Equal(fromHost.BootDevices, cached.BootDevices);
        Assert.NotSame(VmHardware.Unknown, cached);
    }

    private static List<(string Type, string Value)> Claims(ClaimsPrincipal p) =>
        p.Claims.Select(c => (c.Type, c.Value)).OrderBy(c => c.Type, StringComparer.Ordinal).ThenBy(c => c.Value, StringComparer.Ordinal).ToList();

    private sealed class ManualClock(DateTimeOffset now) : TimeProvider
    {
        private DateTimeOffset _now = now;
        public override DateTimeOffset GetUtcNow() => _now;
        public void Advance(TimeSpan by) => _now += by;
    }
}
