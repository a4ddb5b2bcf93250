using System.IO.MemoryMappedFiles;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;

namespace Istar.Features;

/// <summary>Where a feature grid came from; part of the content key of every stage downstream.</summary>
public sealed record FeatureProvenance(
    string Extractor,
    string Mode,
    double MicronsPerPixel,
    int BlockSizePixels,
    string WeightsHash,
    string SlideHash)
{
    /// <summary>Names of the channel groups in channel order with their sizes, e.g. cls:192, sub:384, rgb:3.</summary>
    public IReadOnlyList<ChannelGroup> Groups { get; init; } = [];
}

/// <summary>A named run of consecutive channels (e.g. the ViT-4K tokens).</summary>
public sealed record ChannelGroup(string Name, int Start, int Count);

/// <summary>
/// One C-vector per 16×16-px block over a Rows × Columns block grid, stored block-major (row, column, channel) so
/// that the vector of a block is contiguous for the MLP. Backed either by native memory or by a memory-mapped file,
/// so a whole-slide grid (GBs) never lives on the managed heap.
/// </summary>
public sealed unsafe class FeatureGrid : IDisposable
{
    private const string Magic = "ISTARFG1";
    private readonly MemoryMappedFile? _file;
    private readonly MemoryMappedViewAccessor? _view;
    private readonly float* _data;
    private readonly bool _native;
    private bool _disposed;

    private FeatureGrid(int rows, int columns, int channels, FeatureProvenance provenance, float* data, MemoryMappedFile? file, MemoryMappedViewAccessor? view, bool native)
    {
        Rows = rows;
        Columns = columns;
        Channels = channels;
        Provenance = provenance;
        _data = data;
        _file = file;
        _view = view;
        _native = native;
    }

    /// <summary>Block rows (Hb).</summary>
    public int Rows { get; }

    /// <summary>Block columns (Wb).</summary>
    public int Columns { get; }

    /// <summary>Channels per block (579 for HIPT).</summary>
    public int Channels { get; }

    /// <summary>Where the features came from.</summary>
    public FeatureProvenance Provenance { get; }

    /// <summary>Number of blocks.</summary>
    public long BlockCount => (long)Rows * Columns;

    /// <summary>A zero-filled grid in native memory.</summary>
    public static FeatureGrid Allocate(int rows, int columns, int channels, FeatureProvenance provenance)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(rows);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(columns);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(channels);
        nuint bytes = (nuint)((long)rows * columns * channels * sizeof(float));
        var p = (float*)NativeMemory.AllocZeroed(bytes);
        return new FeatureGrid(rows, columns, channels, provenance, p, null, null, native: true);
    }

    /// <summary>Creates a zero-filled grid backed by a file (written in place; the header is written first).</summary>
    public static FeatureGrid Create(string path, int rows, int columns, int channels, FeatureProvenance provenance)
    {
        byte[] header = Header(rows, columns, channels, provenance);
        long length = header.Length + ((long)rows * columns * channels * sizeof(float));
        using (var fs = new FileStream(path, FileMode.Create, FileAccess.ReadWrite))
        {
            fs.Write(header);
            fs.SetLength(length);
        }

        return Map(path, header.Length, rows, columns, channels, provenance, writable: true);
    }

    /// <summary>Opens a grid written by <see cref="Create"/> or <see cref="Save"/>, memory-mapped read-only.</summary>
    public static FeatureGrid Open(string path)
    {
        using var fs = File.OpenRead(path);
        using var reader = new BinaryReader(fs, Encoding.UTF8, leaveOpen: true);
        string magic = Encoding.ASCII.GetString(reader.ReadBytes(8));
        if (magic != Magic)
        {
            throw new InvalidDataException($"{path}: not an Istar feature grid (magic '{magic}')");
        }

        int rows = reader.ReadInt32();
        int columns = reader.ReadInt32();
        int channels = reader.ReadInt32();
        int jsonLength = reader.ReadInt32();
        var provenance = JsonSerializer.Deserialize<FeatureProvenance>(reader.ReadBytes(jsonLength))
            ?? throw new InvalidDataException($"{path}: missing provenance");
        long dataOffset = Align(24 + jsonLength);
        long expected = dataOffset + ((long)rows * columns * channels * sizeof(float));
        if (fs.Length != expected)
        {
            throw new InvalidDataException($"{path}: expected {expected} bytes, found {fs.Length} (truncated?)");
        }

        fs.Close();
        return Map(path, dataOffset, rows, columns, channels, provenance, writable: false);
    }

    /// <summary>Writes this grid to a file that <see cref="Open"/> reads.</summary>
    public void Save(string path)
    {
        using var fs = new FileStream(path, FileMode.Create, FileAccess.Write);
        fs.Write(Header(Rows, Columns, Channels, Provenance));
        long total = BlockCount * Channels;
        const int Chunk = 1 << 20;
        for (long start = 0; start < total; start += Chunk)
        {
            int n = (int)Math.Min(Chunk, total - start);
            fs.Write(MemoryMarshal.AsBytes(new ReadOnlySpan<float>(_data + start, n)));
        }
    }

    /// <summary>The feature vector of one block.</summary>
    public Span<float> Block(int row, int column)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if ((uint)row >= (uint)Rows || (uint)column >= (uint)Columns)
        {
            throw new ArgumentOutOfRangeException(nameof(row), $"block ({row}, {column}) outside {Rows} x {Columns}");
        }

        return new Span<float>(_data + ((((long)row * Columns) + column) * Channels), Channels);
    }

    /// <summary>All blocks of one block row, Columns × Channels values.</summary>
    public Span<float> BlockRow(int row)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual((uint)row, (uint)Rows, nameof(row));
        return new Span<float>(_data + ((long)row * Columns * Channels), Columns * Channels);
    }

    /// <summary>One channel as a Rows × Columns row-major plane (a copy).</summary>
    public float[] ChannelPlane(int channel)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual((uint)channel, (uint)Channels, nameof(channel));
        var plane = new float[BlockCount];
        for (long b = 0; b < plane.LongLength; b++)
        {
            plane[b] = _data[(b * Channels) + channel];
        }

        return plane;
    }

    /// <summary>Writes one channel from a Rows × Columns row-major plane.</summary>
    public void SetChannelPlane(int channel, ReadOnlySpan<float> plane)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual((uint)channel, (uint)Channels, nameof(channel));
        if (plane.Length != BlockCount)
        {
            throw new ArgumentException("plane must hold Rows * Columns values", nameof(plane));
        }

        for (int b = 0; b < plane.Length; b++)
        {
            _data[((long)b * Channels) + channel] = plane[b];
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        if (_native)
        {
            NativeMemory.Free(_data);
        }
        else
        {
            _view!.SafeMemoryMappedViewHandle.ReleasePointer();
            _view.Dispose();
            _file!.Dispose();
        }
    }

    private static FeatureGrid Map(string path, long offset, int rows, int columns, int channels, FeatureProvenance provenance, bool writable)
    {
        var access = writable ? MemoryMappedFileAccess.ReadWrite : MemoryMappedFileAccess.Read;
        var file = MemoryMappedFile.CreateFromFile(path, FileMode.Open, null, 0, access);
        var view = file.CreateViewAccessor(0, 0, access);
        byte* p = null;
        view.SafeMemoryMappedViewHandle.AcquirePointer(ref p);
        p += view.PointerOffset;
        return new FeatureGrid(rows, columns, channels, provenance, (float*)(p + offset), file, view, native: false);
    }

    private static byte[] Header(int rows, int columns, int channels, FeatureProvenance provenance)
    {
        byte[] json = JsonSerializer.SerializeToUtf8Bytes(provenance);
        long dataOffset = Align(24 + json.Length);
        var header = new byte[dataOffset];
        Encoding.ASCII.GetBytes(Magic).CopyTo(header, 0);
        BitConverter.TryWriteBytes(header.AsSpan(8), rows);
        BitConverter.TryWriteBytes(header.AsSpan(12), columns);
        BitConverter.TryWriteBytes(header.AsSpan(16), channels);
        BitConverter.TryWriteBytes(header.AsSpan(20), json.Length);
        json.CopyTo(header, 24);
        return header;
    }

    private static long Align(long n) => (n + 63) / 64 * 64;
}
