using System.Globalization;
using System.Text.Json;

namespace Istar.Pipeline;

/// <summary>What a finished cache entry records about itself.</summary>
public sealed record ArtifactManifest(string Stage, string Key, string Settings, DateTimeOffset Created, double Seconds, string IstarVersion);

/// <summary>
/// A content-keyed store of stage outputs: <c>&lt;root&gt;/&lt;stage&gt;/&lt;key&gt;/</c>. An entry is written
/// into a temporary folder and renamed into place only after its manifest is written, so a killed run leaves no
/// half entry and a rerun with the same key reuses the finished one.
/// </summary>
public sealed class ArtifactStore
{
    /// <summary>Creates a store under <paramref name="root"/>.</summary>
    public ArtifactStore(string root)
    {
        Root = Path.GetFullPath(root);
        Directory.CreateDirectory(Root);
        Hashes = new FileHashes(Path.Combine(Root, "file-hashes.json"));
    }

    /// <summary>The cache folder.</summary>
    public string Root { get; }

    /// <summary>The memoised file hashes of this store.</summary>
    public FileHashes Hashes { get; }

    /// <summary>The folder of a finished entry, or null.</summary>
    public string? TryGet(string stage, ContentKey key)
    {
        ArgumentNullException.ThrowIfNull(key);
        string dir = EntryPath(stage, key);
        return File.Exists(Path.Combine(dir, "manifest.json")) ? dir : null;
    }

    /// <summary>
    /// Returns the entry for (stage, key), computing it with <paramref name="produce"/> into a temporary folder when
    /// absent. <paramref name="hit"/> tells whether the entry already existed.
    /// </summary>
    public string GetOrCreate(string stage, ContentKey.Builder keyParts, Action<string> produce, out bool hit, out ContentKey key)
    {
        ArgumentNullException.ThrowIfNull(keyParts);
        ArgumentNullException.ThrowIfNull(produce);
        key = keyParts.Build();
        string? existing = TryGet(stage, key);
        if (existing is not null)
        {
            hit = true;
            return existing;
        }

        hit = false;
        string final = EntryPath(stage, key);
        string tmp = final + ".tmp-" + Environment.ProcessId.ToString(CultureInfo.InvariantCulture) + "-" + Guid.NewGuid().ToString("N")[..8];
        Directory.CreateDirectory(tmp);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        try
        {
            produce(tmp);
            var manifest = new ArtifactManifest(stage, key.Hex, keyParts.Describe(), DateTimeOffset.UtcNow, clock.Elapsed.TotalSeconds, IstarInfo.Version);
            File.WriteAllText(Path.Combine(tmp, "manifest.json"), JsonSerializer.Serialize(manifest, JsonOptions));
            if (Directory.Exists(final))
            {
                // Another process finished the same entry first, or a stale folder without a manifest is in the way.
                if (File.Exists(Path.Combine(final, "manifest.json")))
                {
                    Directory.Delete(tmp, recursive: true);
                    return final;
                }

                Directory.Delete(final, recursive: true);
            }

            Directory.Move(tmp, final);
            return final;
        }
        catch
        {
            TryDelete(tmp);
            throw;
        }
    }

    /// <summary>Reads the manifest of a finished entry.</summary>
    public static ArtifactManifest ReadManifest(string entry) =>
        JsonSerializer.Deserialize<ArtifactManifest>(File.ReadAllText(Path.Combine(entry, "manifest.json")), JsonOptions)
        ?? throw new InvalidDataException($"{entry}: empty manifest");

    private static readonly JsonSerializerOptions JsonOptions = new() { WriteIndented = true };

    private string EntryPath(string stage, ContentKey key) => Path.Combine(Root, stage, key.Short);

    private static void TryDelete(string dir)
    {
        try
        {
            Directory.Delete(dir, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
