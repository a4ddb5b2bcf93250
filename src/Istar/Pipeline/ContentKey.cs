using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Istar.Pipeline;

/// <summary>
/// A content hash that names a stage's output: the stage name and version, its settings and the keys of its
/// inputs. Keys chain (a stage hashes its input's key, not its data), so computing one is cheap even for GB inputs.
/// </summary>
public sealed record ContentKey(string Hex)
{
    /// <summary>A short form for folder names and logs.</summary>
    public string Short => Hex[..16];

    /// <inheritdoc />
    public override string ToString() => Short;

    /// <summary>Starts a key for a stage.</summary>
    public static Builder For(string stage, int version) => new Builder().Add("stage", stage).Add("version", version);

    /// <summary>Accumulates named parts in order; the same parts in the same order give the same key.</summary>
    public sealed class Builder
    {
        private readonly StringBuilder _text = new();

        /// <summary>The parts as text, for manifests and debugging.</summary>
        public string Describe() => _text.ToString();

        /// <summary>Adds a text part.</summary>
        public Builder Add(string name, string? value)
        {
            _text.Append(name).Append('=').Append(value ?? "<null>").Append('\n');
            return this;
        }

        /// <summary>Adds a number in round-trip form.</summary>
        public Builder Add(string name, double value) => Add(name, value.ToString("R", CultureInfo.InvariantCulture));

        /// <summary>Adds an integer.</summary>
        public Builder Add(string name, long value) => Add(name, value.ToString(CultureInfo.InvariantCulture));

        /// <summary>Adds a flag.</summary>
        public Builder Add(string name, bool value) => Add(name, value ? "true" : "false");

        /// <summary>Adds a list of strings (order matters).</summary>
        public Builder Add(string name, IEnumerable<string> values) => Add(name, string.Join('\u001f', values));

        /// <summary>Adds the key of an input stage.</summary>
        public Builder Add(string name, ContentKey key)
        {
            ArgumentNullException.ThrowIfNull(key);
            return Add(name, key.Hex);
        }

        /// <summary>Adds the content hash of a file (memoised by path, size and modification time).</summary>
        public Builder AddFile(string name, string path, FileHashes hashes)
        {
            ArgumentNullException.ThrowIfNull(hashes);
            return Add(name, hashes.Sha256(path));
        }

        /// <summary>The key.</summary>
        public ContentKey Build() => new(Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(_text.ToString()))));
    }
}
