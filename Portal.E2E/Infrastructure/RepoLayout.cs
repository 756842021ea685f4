using System.Reflection;

namespace Portal.E2E.Infrastructure;

/// <summary>Where the repository and the portal's build output are, seen from the test assembly.</summary>
public static class RepoLayout
{
    /// <summary>The folder holding Portal.sln, found by walking up from the test assembly.</summary>
    public static string Root { get; } = FindRoot();

    /// <summary>The configuration this test assembly was built in (Debug unless -c says otherwise).</summary>
    public static string Configuration { get; } =
        typeof(RepoLayout).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "Debug";

    /// <summary>
    /// The portal to start: <c>Portal/bin/{Configuration}/net10.0/Portal.dll</c>, built alongside the tests through the
    /// project reference. <c>E2E_PORTAL_DLL</c> points at another build (a published folder, say).
    /// </summary>
    public static string PortalDll
    {
        get
        {
            var path = Environment.GetEnvironmentVariable("E2E_PORTAL_DLL") is { Length: > 0 } custom
                ? Path.GetFullPath(custom)
                : Path.Combine(Root, "Portal", "bin", Configuration, "net10.0", "Portal.dll");
            return File.Exists(path)
                ? path
                : throw new FileNotFoundException(
                    $"The portal is not built at {path}. Build it first: dotnet build Portal/Portal.csproj -c {Configuration}", path);
        }
    }

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Portal.sln"))) return dir.FullName;
        throw new DirectoryNotFoundException($"No Portal.sln above {AppContext.BaseDirectory}.");
    }
}
