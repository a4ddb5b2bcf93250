using System.Buffers.Binary;
using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using System.Text.Json;

namespace Istar.Features;

/// <summary>How a feature grid's values are kept on disk.</summary>
public enum FeatureStorePrecision
{
    /// <summary>
    /// IEEE half precision (relative error ≤ 2⁻¹¹, far below the features' own noise); a tile holding a finite value
    /// beyond ±65504 falls back to float32, so nothing overflows. The default.
    /// </summary>
    Float16,

    /// <summary>Bit-exact float32 (the faithful preset, so its numerics stay the reference's).</summary>
    Float32,
}

/// <summary>
/// The on-disk form of a <see cref="FeatureGrid"/>: tiles of <see cref="TileBlocks"/>² blocks, each block's C values
/// contiguous. A tile whose blocks are all zero (never computed: background in the fast path) is not stored, and the
/// rest are float16 unless asked otherwise, so a section's HIPT features take a few percent of the raw float32 grid.
/// The header carries the provenance (extractor, mode, pixel size, weights hash, slide hash) and the content key of
/// the stage that wrote it, so a file found on its own says what it holds and a moved cache entry is caught.
/// </summary>
/// <remarks>
/// Layout (little-endian): magic <c>ISTARFS1</c>; int32 version, rows, columns, channels, tile size, tile count,
/// header-JSON length; the JSON; then one 16-byte index entry per tile in row-major tile order (int64 offset, int32
/// byte length, int32 encoding: 0 empty, 1 float16, 2 float32); then the tiles.
/// </remarks>
internal static class FeatureStore
{
    /// <summary>Blocks per tile side: 32 blocks = 512 px at 0.5 µm/px, about one Visium spot pitch × 5.</summary>
    public const int TileBlocks = 32;

    private const string Magic = "ISTARFS1";
    private const int Version = 1;
    private const int FixedHeader = 8 + (7 * sizeof(int));
    private const int IndexEntry = 16;
    private const float HalfMax = 65504f;

    private enum Encoding32
    {
        Empty = 0,
        Half = 1,
        Single = 2,
    }

    /// <summary>What a store file says about itself (the JSON part of the header).</summary>
    internal sealed record StoreHeader(FeatureProvenance Provenance, string Key);

    /// <summary>A store's shape and header.</summary>
    internal sealed record StoreInfo(int Rows, int Columns, int Channels, FeatureProvenance Provenance, string Key);

    /// <summary>Writes <paramref name="grid"/> to <paramref name="path"/>.</summary>
    public static void Write(FeatureGrid grid, string path, FeatureStorePrecision precision, string key)
    {
        ArgumentNullException.ThrowIfNull(grid);
        ArgumentNullException.ThrowIfNull(path);
        int tileRows = Ceiling(grid.Rows, TileBlocks), tileColumns = Ceiling(grid.Columns, TileBlocks);
        int tiles = tileRows * tileColumns;
        byte[] json = JsonSerializer.SerializeToUtf8Bytes(new StoreHeader(grid.Provenance, key ?? string.Empty));
        var index = new byte[tiles * IndexEntry];
        int channels = grid.Channels;
        var values = new float[TileBlocks * TileBlocks * channels];
        var halves = new Half[values.Length];
        using var fs = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20);
        WriteFixedHeader(fs, grid.Rows, grid.Columns, channels, tiles, json);
        fs.Write(index);
        for (int t = 0; t < tiles; t++)
        {
            var (r0, c0, h, w) = TileBounds(t, tileColumns, grid.Rows, grid.Columns);
            int n = h * w * channels;
            var tile = values.AsSpan(0, n);
            for (int r = 0; r < h; r++)
            {
                grid.BlockRow(r0 + r).Slice(c0 * channels, w * channels).CopyTo(tile.Slice(r * w * channels));
            }

            var encoding = Classify(tile, precision);
            long offset = fs.Position;
            int length = 0;
            if (encoding == Encoding32.Half)
            {
                TensorPrimitives.ConvertToHalf(tile, halves.AsSpan(0, n));
                var bytes = MemoryMarshal.AsBytes(halves.AsSpan(0, n));
                fs.Write(bytes);
                length = bytes.Length;
            }
            else if (encoding == Encoding32.Single)
            {
                var bytes = MemoryMarshal.AsBytes(tile);
                fs.Write(bytes);
                length = bytes.Length;
            }

            var entry = index.AsSpan(t * IndexEntry, IndexEntry);
            BinaryPrimitives.WriteInt64LittleEndian(entry, encoding == Encoding32.Empty ? 0 : offset);
            BinaryPrimitives.WriteInt32LittleEndian(entry[8..], length);
            BinaryPrimitives.WriteInt32LittleEndian(entry[12..], (int)encoding);
        }

        fs.Position = FixedHeader + json.Length;
        fs.Write(index);
    }

    /// <summary>Reads a store into a native grid; checks the content key when <paramref name="expectedKey"/> is given.</summary>
    public static FeatureGrid Read(string path, string? expectedKey)
    {
        ArgumentNullException.ThrowIfNull(path);
        using var fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20);
        var (rows, columns, channels, tiles, header) = ReadHeader(fs, path);
        if (expectedKey is not null && header.Key != expectedKey)
        {
            throw new InvalidDataException(
                $"{path}: holds features for content key {Short(header.Key)}, not {Short(expectedKey)}; the cache entry was moved or edited. Delete it and rerun.");
        }

        var index = new byte[tiles * IndexEntry];
        fs.ReadExactly(index);
        int tileColumns = Ceiling(columns, TileBlocks);
        var grid = FeatureGrid.Allocate(rows, columns, channels, header.Provenance);
        try
        {
            var values = new float[TileBlocks * TileBlocks * channels];
            var halves = new Half[values.Length];
            for (int t = 0; t < tiles; t++)
            {
                var entry = index.AsSpan(t * IndexEntry, IndexEntry);
                long offset = BinaryPrimitives.ReadInt64LittleEndian(entry);
                int length = BinaryPrimitives.ReadInt32LittleEndian(entry[8..]);
                var encoding = (Encoding32)BinaryPrimitives.ReadInt32LittleEndian(entry[12..]);
                if (encoding == Encoding32.Empty)
                {
                    continue;
                }

                var (r0, c0, h, w) = TileBounds(t, tileColumns, rows, columns);
                int n = h * w * channels;
                int expected = n * (encoding == Encoding32.Half ? 2 : 4);
                if (encoding is not (Encoding32.Half or Encoding32.Single) || length != expected || offset < 0 || offset + length > fs.Length)
                {
                    throw new InvalidDataException($"{path}: tile {t} is damaged or the file is truncated ({length} bytes at {offset}, file {fs.Length}). Delete it and rerun.");
                }

                fs.Position = offset;
                var tile = values.AsSpan(0, n);
                if (encoding == Encoding32.Half)
                {
                    fs.ReadExactly(MemoryMarshal.AsBytes(halves.AsSpan(0, n)));
                    TensorPrimitives.ConvertToSingle(halves.AsSpan(0, n), tile);
                }
                else
                {
                    fs.ReadExactly(MemoryMarshal.AsBytes(tile));
                }

                for (int r = 0; r < h; r++)
                {
                    tile.Slice(r * w * channels, w * channels).CopyTo(grid.BlockRow(r0 + r).Slice(c0 * channels));
                }
            }
        }
        catch
        {
            grid.Dispose();
            throw;
        }

        return grid;
    }

    /// <summary>The header of a store file, without reading its tiles.</summary>
    public static StoreInfo Describe(string path)
    {
        using var fs = File.OpenRead(path);
        var (rows, columns, channels, _, header) = ReadHeader(fs, path);
        return new StoreInfo(rows, columns, channels, header.Provenance, header.Key);
    }

    private static Encoding32 Classify(ReadOnlySpan<float> tile, FeatureStorePrecision precision)
    {
        if (tile.IndexOfAnyExcept(0f) < 0)
        {
            return Encoding32.Empty;
        }

        if (precision == FeatureStorePrecision.Float32)
        {
            return Encoding32.Single;
        }

        foreach (float v in tile)
        {
            if (float.IsFinite(v) && Math.Abs(v) > HalfMax)
            {
                return Encoding32.Single;
            }
        }

        return Encoding32.Half;
    }

    private static void WriteFixedHeader(Stream fs, int rows, int columns, int channels, int tiles, byte[] json)
    {
        Span<byte> head = stackalloc byte[FixedHeader];
        System.Text.Encoding.ASCII.GetBytes(Magic, head);
        Span<int> fields = [Version, rows, columns, channels, TileBlocks, tiles, json.Length];
        for (int i = 0; i < fields.Length; i++)
        {
            BinaryPrimitives.WriteInt32LittleEndian(head[(8 + (4 * i))..], fields[i]);
        }

        fs.Write(head);
        fs.Write(json);
    }

    private static (int Rows, int Columns, int Channels, int Tiles, StoreHeader Header) ReadHeader(Stream fs, string path)
    {
        var head = new byte[FixedHeader];
        if (fs.Length < FixedHeader)
        {
            throw new InvalidDataException($"{path}: too short ({fs.Length} bytes) to be an Istar feature store.");
        }

        fs.ReadExactly(head);
        string magic = System.Text.Encoding.ASCII.GetString(head, 0, 8);
        if (magic != Magic)
        {
            throw new InvalidDataException($"{path}: not an Istar feature store (magic '{magic}', expected '{Magic}').");
        }

        int Field(int i) => BinaryPrimitives.ReadInt32LittleEndian(head.AsSpan(8 + (4 * i)));
        int version = Field(0), rows = Field(1), columns = Field(2), channels = Field(3), tile = Field(4), tiles = Field(5), jsonLength = Field(6);
        if (version != Version || tile != TileBlocks)
        {
            throw new InvalidDataException($"{path}: feature store version {version} with {tile}-block tiles; this Istar reads version {Version} with {TileBlocks}. Rerun the features stage.");
        }

        if (rows <= 0 || columns <= 0 || channels <= 0 || tiles != Ceiling(rows, TileBlocks) * Ceiling(columns, TileBlocks)
            || jsonLength <= 0 || FixedHeader + jsonLength + ((long)tiles * IndexEntry) > fs.Length)
        {
            throw new InvalidDataException($"{path}: damaged feature store header ({rows} x {columns} x {channels}, {tiles} tiles, file {fs.Length} bytes). Delete it and rerun.");
        }

        var json = new byte[jsonLength];
        fs.ReadExactly(json);
        var header = JsonSerializer.Deserialize<StoreHeader>(json)
            ?? throw new InvalidDataException($"{path}: feature store without provenance");
        return (rows, columns, channels, tiles, header);
    }

    private static (int Row, int Column, int Height, int Width) TileBounds(int tile, int tileColumns, int rows, int columns)
    {
        int r0 = tile / tileColumns * TileBlocks, c0 = tile % tileColumns * TileBlocks;
        return (r0, c0, Math.Min(TileBlocks, rows - r0), Math.Min(TileBlocks, columns - c0));
    }

    private static int Ceiling(int n, int d) => (n + d - 1) / d;

    private static string Short(string key) => key.Length > 16 ? key[..16] : key.Length == 0 ? "<none>" : key;
}
