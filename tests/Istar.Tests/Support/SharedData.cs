namespace Istar.Tests.Support;

/// <summary>
/// The catalogue of real data and golden fixtures in <c>../shared</c> (beside the checkout). Tests that need them call
/// <see cref="Require"/>: it skips with a clear reason when the folder is absent, and fails instead when
/// <c>ISTAR_REQUIRE_SHARED=1</c> (as in CI).
/// </summary>
internal static class SharedData
{
    private static readonly Lazy<string?> RootPath = new(FindRoot);

    /// <summary>The shared folder, or null when it cannot be found.</summary>
    public static string? Root => RootPath.Value;

    public static string Data => Path.Combine(RequireRoot(), "data");

    public static string Fixtures => Path.Combine(RequireRoot(), "fixtures");

    public static string HiptFixtures => Path.Combine(Fixtures, "hipt");

    public static string Her2St => Path.Combine(Data, "her2st-legacy-st");

    public static string MouseBrain => Path.Combine(Data, "visium-v1-adult-mouse-brain");

    public static string VisiumFormats => Path.Combine(Data, "visium-format-fixtures");

    public static string CmuSvs => Path.Combine(Data, "cmu-1-small-region-svs", "small_HE.svs");

    /// <summary>Returns the path under the shared folder, skipping (or failing in CI) when it is missing.</summary>
    public static string Require(params string[] parts)
    {
        string path = Path.Combine([RequireRoot(), .. parts]);
        if (!File.Exists(path) && !Directory.Exists(path))
        {
            Missing($"{path} does not exist");
        }

        return path;
    }

    private static string RequireRoot()
    {
        if (Root is null)
        {
            Missing("the shared data folder (../shared beside the checkout, or $ISTAR_SHARED) was not found");
        }

        return Root!;
    }

    private static void Missing(string why)
    {
        if (Environment.GetEnvironmentVariable("ISTAR_REQUIRE_SHARED") == "1")
        {
            Assert.Fail($"ISTAR_REQUIRE_SHARED=1 but {why}.");
        }

        Assert.Skip($"Needs ../shared: {why}.");
    }

    private static string? FindRoot()
    {
        string? env = Environment.GetEnvironmentVariable("ISTAR_SHARED");
        if (!string.IsNullOrEmpty(env) && Directory.Exists(env))
        {
            return Path.GetFullPath(env);
        }

        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            string candidate = Path.Combine(dir.FullName, "shared");
            if (Directory.Exists(Path.Combine(candidate, "data")) && dir.GetDirectories(".git").Length + dir.GetFiles(".git").Length == 0)
            {
                return candidate;
            }

            // The checkout itself sits beside shared/: <parent>/main and <parent>/shared.
            if (dir.Parent is not null && (Directory.Exists(Path.Combine(dir.FullName, ".git")) || File.Exists(Path.Combine(dir.FullName, ".git"))))
            {
                string beside = Path.Combine(dir.Parent.FullName, "shared");
                if (Directory.Exists(beside))
                {
                    return beside;
                }
            }
        }

        return null;
    }
}
