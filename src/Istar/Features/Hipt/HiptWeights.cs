using System.Collections.Concurrent;
using System.Security.Cryptography;
using Istar.Input;

namespace Istar.Features.Hipt;

/// <summary>
/// Where the two HIPT checkpoints are: explicit paths (<c>--hipt256 PATH --hipt4k PATH</c>), else the folder
/// <c>$ISTAR_WEIGHTS</c>, else <c>~/.cache/istar/weights</c>, holding <c>vit256_small_dino.pth</c> and
/// <c>vit4k_xs_dino.pth</c>.
/// </summary>
internal sealed record HiptWeights(string Vit256Path, string Vit4KPath)
{
    /// <summary>Environment variable naming the weights folder.</summary>
    public const string EnvironmentVariable = "ISTAR_WEIGHTS";

    /// <summary>Where the original files are published.</summary>
    public const string SourceUrl = "https://github.com/mahmoodlab/HIPT/tree/master/HIPT_4K/Checkpoints";

    /// <summary>The hint printed whenever a checkpoint is missing or unusable.</summary>
    public const string WhereToGet =
        "Get vit256_small_dino.pth and vit4k_xs_dino.pth from the HIPT GitHub repository mahmoodlab/HIPT, folder " +
        "HIPT_4K/Checkpoints (" + SourceUrl + "); they are stored with Git LFS, so clone with git-lfs installed " +
        "(git lfs install; git clone https://github.com/mahmoodlab/HIPT; git lfs pull) or use the download button on " +
        "each file. Put them in ~/.cache/istar/weights (or the folder named by $ISTAR_WEIGHTS), or pass " +
        "--hipt256 PATH --hipt4k PATH.";

    private static readonly ConcurrentDictionary<(string Path, long Length, DateTime Written), string> Hashes = new();

    /// <summary>The default folder: <c>$ISTAR_WEIGHTS</c> when set, else <c>~/.cache/istar/weights</c>.</summary>
    public static string DefaultFolder(string? environmentValue, string homeDirectory) =>
        !string.IsNullOrWhiteSpace(environmentValue)
            ? environmentValue
            : Path.Combine(homeDirectory, ".cache", "istar", "weights");

    /// <summary>Resolves from options and the process environment.</summary>
    public static HiptWeights Resolve(string? vit256Path, string? vit4kPath) =>
        Resolve(vit256Path, vit4kPath, Environment.GetEnvironmentVariable(EnvironmentVariable), Environment.GetFolderPath(Environment.SpecialFolder.UserProfile));

    /// <summary>
    /// Resolves both paths (explicit ones win) and checks the files exist; the error lists every place looked at
    /// and where to get the files.
    /// </summary>
    public static HiptWeights Resolve(string? vit256Path, string? vit4kPath, string? environmentValue, string homeDirectory)
    {
        string folder = DefaultFolder(environmentValue, homeDirectory);
        string from = !string.IsNullOrWhiteSpace(environmentValue) ? $"${EnvironmentVariable}" : "the default folder";
        var problems = new List<InputProblem>();
        string p256 = Locate(vit256Path, folder, HiptModelKind.Vit256, "--hipt256", from, problems);
        string p4k = Locate(vit4kPath, folder, HiptModelKind.Vit4K, "--hipt4k", from, problems);
        if (problems.Count > 0)
        {
            throw new InputException(problems);
        }

        return new HiptWeights(p256, p4k);
    }

    /// <summary>Lower-case hex SHA-256 of a file, memoised per path, size and write time.</summary>
    public static string Sha256(string path)
    {
        var info = new FileInfo(path);
        var key = (Path.GetFullPath(path), info.Length, info.LastWriteTimeUtc);
        return Hashes.GetOrAdd(key, static k =>
        {
            using var stream = File.OpenRead(k.Path);
            return Convert.ToHexStringLower(SHA256.HashData(stream));
        });
    }

    /// <summary>Short identity of both files for cache keys: first 16 hex digits of each hash.</summary>
    public string Identity => $"{Sha256(Vit256Path)[..16]}+{Sha256(Vit4KPath)[..16]}";

    private static string Locate(string? explicitPath, string folder, HiptModelKind kind, string option, string from, List<InputProblem> problems)
    {
        string what = HiptCheckpoint.Describe(kind);
        if (!string.IsNullOrWhiteSpace(explicitPath))
        {
            if (!File.Exists(explicitPath))
            {
                problems.Add(InputProblem.Error(explicitPath, $"the {what} checkpoint given with {option} does not exist.", WhereToGet));
            }

            return explicitPath;
        }

        string path = Path.Combine(folder, HiptCheckpoint.DefaultFileName(kind));
        if (!File.Exists(path))
        {
            problems.Add(InputProblem.Error(path, $"the {what} checkpoint was not found (no {option} given; looked in {from} {folder}).", WhereToGet));
        }

        return path;
    }
}
