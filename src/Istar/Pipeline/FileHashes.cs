using System.Collections.Concurrent;
using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;

namespace Istar.Pipeline;

/// <summary>
/// SHA-256 of input files, memoised by (full path, size, modification time) in a small JSON file so that a rerun
/// on a multi-GB slide does not hash it again. A changed file changes size or time and is hashed anew.
/// </summary>
public sealed class FileHashes
{
    private readonly string? _memoPath;
    private readonly ConcurrentDictionary<string, string> _memo = new(StringComparer.Ordinal);
    private readonly object _saveLock = new();

    /// <summary>Creates a memo stored at <paramref name="memoPath"/> (null = in memory only).</summary>
    public FileHashes(string? memoPath)
    {
        _memoPath = memoPath;
        if (memoPath is not null && File.Exists(memoPath))
        {
            try
            {
                var loaded = JsonSerializer.Deserialize<Dictionary<string, string>>(File.ReadAllText(memoPath));
                foreach (var (k, v) in loaded ?? [])
                {
                    _memo[k] = v;
                }
            }
            catch (JsonException)
            {
                // A damaged memo only costs re-hashing.
            }
        }
    }

    /// <summary>The lowercase hex SHA-256 of a file's content.</summary>
    public string Sha256(string path)
    {
        var info = new FileInfo(path);
        if (!info.Exists)
        {
            throw new FileNotFoundException($"cannot hash {path}: file not found", path);
        }

        string memoKey = string.Create(CultureInfo.InvariantCulture, $"{info.FullName}|{info.Length}|{info.LastWriteTimeUtc.Ticks}");
        if (_memo.TryGetValue(memoKey, out string? known))
        {
            return known;
        }

        string hash;
        using (var stream = new FileStream(info.FullName, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20))
        {
            hash = Convert.ToHexStringLower(SHA256.HashData(stream));
        }

        _memo[memoKey] = hash;
        Save();
        return hash;
    }

    private void Save()
    {
        if (_memoPath is null)
        {
            return;
        }

        lock (_saveLock)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(_memoPath))!);
            string tmp = _memoPath + ".tmp" + Environment.ProcessId.ToString(CultureInfo.InvariantCulture);
            File.WriteAllText(tmp, JsonSerializer.Serialize(_memo.ToDictionary(p => p.Key, p => p.Value)));
            File.Move(tmp, _memoPath, overwrite: true);
        }
    }
}
