using System.Collections.Concurrent;
using System.Security.Cryptography;
using Istar.Input;

namespace Istar.Features.ResNet18;

/// <summary>
/// Where <c>ResNet18.onnx</c> and <c>ResNetPreprocess.onnx</c> are. They come from the NuGet package
/// Microsoft.ML.DnnImageFeaturizer.ResNet18 0.24.0: restore downloads it and the build copies both files to
/// <c>models/resnet18/</c> beside the assemblies. Looked up in order: the path given (<c>--resnet18-onnx</c>), the
/// output folder, the NuGet cache (<c>$NUGET_PACKAGES</c> or <c>~/.nuget/packages</c>).
/// </summary>
internal sealed record ResNet18Files(string OnnxPath, string PreprocessPath)
{
    /// <summary>The NuGet package that ships the weights.</summary>
    public const string PackageId = "Microsoft.ML.DnnImageFeaturizer.ResNet18";

    /// <summary>Its version (also in Istar.csproj).</summary>
    public const string PackageVersion = "0.24.0";

    /// <summary>File name of the network.</summary>
    public const string OnnxFileName = "ResNet18.onnx";

    /// <summary>File name of the preprocessing graph.</summary>
    public const string PreprocessFileName = "ResNetPreprocess.onnx";

    /// <summary>The hint printed when a file is missing.</summary>
    public const string WhereToGet =
        "The files come with the NuGet package " + PackageId + " " + PackageVersion + " (tools/DnnImageModels/ResNet18Onnx/" + OnnxFileName +
        " and tools/DnnImageModels/ResNetPrepOnnx/" + PreprocessFileName + "); building Istar restores it and copies both to models/resnet18/ " +
        "beside the program. Rebuild, or pass --resnet18-onnx PATH with " + PreprocessFileName + " in the same folder.";

    private static readonly ConcurrentDictionary<(string Path, long Length, DateTime Written), string> Hashes = new();

    /// <summary>Resolves from an optional explicit path and the process environment.</summary>
    public static ResNet18Files Resolve(string? onnxPath) =>
        Resolve(onnxPath, AppContext.BaseDirectory, Environment.GetEnvironmentVariable("NUGET_PACKAGES"), Environment.GetFolderPath(Environment.SpecialFolder.UserProfile));

    /// <summary>Resolves both files; the error lists every place looked at.</summary>
    public static ResNet18Files Resolve(string? onnxPath, string baseDirectory, string? nugetPackages, string homeDirectory)
    {
        if (!string.IsNullOrWhiteSpace(onnxPath))
        {
            if (!File.Exists(onnxPath))
            {
                throw new InputException(onnxPath, "the ResNet-18 ONNX file given with --resnet18-onnx does not exist.", WhereToGet);
            }

            string folder = Path.GetDirectoryName(Path.GetFullPath(onnxPath))!;
            string[] near = [Path.Combine(folder, PreprocessFileName), Path.Combine(folder, "..", "ResNetPrepOnnx", PreprocessFileName)];
            string? prep = near.FirstOrDefault(File.Exists);
            return prep is not null
                ? new ResNet18Files(onnxPath, Path.GetFullPath(prep))
                : throw new InputException(near[0], $"{PreprocessFileName} (the mean image for {Path.GetFileName(onnxPath)}) was not found beside it.", WhereToGet);
        }

        string cache = !string.IsNullOrWhiteSpace(nugetPackages) ? nugetPackages : Path.Combine(homeDirectory, ".nuget", "packages");
        string package = Path.Combine(cache, PackageId.ToLowerInvariant(), PackageVersion, "tools", "DnnImageModels");
        (string Onnx, string Prep)[] candidates =
        [
            (Path.Combine(baseDirectory, "models", "resnet18", OnnxFileName), Path.Combine(baseDirectory, "models", "resnet18", PreprocessFileName)),
            (Path.Combine(package, "ResNet18Onnx", OnnxFileName), Path.Combine(package, "ResNetPrepOnnx", PreprocessFileName)),
        ];
        foreach (var (onnx, prep) in candidates)
        {
            if (File.Exists(onnx) && File.Exists(prep))
            {
                return new ResNet18Files(onnx, prep);
            }
        }

        throw new InputException(
            candidates[0].Onnx,
            $"{OnnxFileName} and {PreprocessFileName} were not found (looked in {string.Join(" and ", candidates.Select(c => Path.GetDirectoryName(c.Onnx)))}).",
            WhereToGet);
    }

    /// <summary>Lower-case hex SHA-256 of a file, memoised per path, size and write time.</summary>
    public static string Sha256(string path)
    {
        var info = new FileInfo(path);
        var key = (info.FullName, info.Length, info.LastWriteTimeUtc);
        return Hashes.GetOrAdd(key, static k =>
        {
            using var stream = File.OpenRead(k.Path);
            return Convert.ToHexStringLower(SHA256.HashData(stream));
        });
    }

    /// <summary>Identity of both files for cache keys: first 16 hex digits of each hash.</summary>
    public string Identity => $"{Sha256(OnnxPath)[..16]}+{Sha256(PreprocessPath)[..16]}";
}
