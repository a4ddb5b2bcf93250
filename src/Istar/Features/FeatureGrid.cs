using System.Runtime.InteropServices;

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
/// that the vector of a block is contiguous for the MLP. Lives in native memory (zero pages are only committed when
/// written, so blocks an extractor skipped cost nothing); on disk it is a <see cref="FeatureStore"/> file.
/// </summary>
public sealed unsafe class FeatureGrid : IDisposable
{
    private readonly float* _data;
    private bool _disposed;

    private FeatureGrid(int rows, int columns, int channels, FeatureProvenance provenance, float* data)
    {
        Rows = rows;
        Columns = columns;
        Channels = channels;
        Provenance = provenance;
        _data = data;
    }

    /// <summary>Block rows (Hb).</summary>
    public int Rows { get; }

    /// <summary>Block columns (Wb).</summary>
    public int Columns { get; }

    /// <summary>Channels per block (579 for HIPT).</summary>
    public int Channels { get; }

    /// <summary>Where the features came from (the pipeline adds the slide hash before saving).</summary>
    public FeatureProvenance Provenance { get; internal set; }

    /// <summary>Number of blocks.</summary>
    public long BlockCount => (long)Rows * Columns;

    /// <summary>A zero-filled grid in native memory.</summary>
    public static FeatureGrid Allocate(int rows, int columns, int channels, FeatureProvenance provenance)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(rows);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(columns);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(channels);
        ArgumentNullException.ThrowIfNull(provenance);
        nuint bytes = (nuint)((long)rows * columns * channels * sizeof(float));

        // calloc-backed: large allocations are fresh mmap pages, so untouched (background) blocks stay uncommitted.
        var p = (float*)NativeMemory.AllocZeroed(bytes);
        return new FeatureGrid(rows, columns, channels, provenance, p);
    }

    /// <summary>Reads a grid written by <see cref="Save"/>; with <paramref name="expectedKey"/>, checks the file was made for that content key.</summary>
    public static FeatureGrid Open(string path, string? expectedKey = null) => FeatureStore.Read(path, expectedKey);

    /// <summary>Writes this grid as a chunked <see cref="FeatureStore"/> file (float16 where it fits unless <paramref name="precision"/> says float32).</summary>
    public void Save(string path, FeatureStorePrecision precision = FeatureStorePrecision.Float16, string key = "") =>
        FeatureStore.Write(this, path, precision, key);

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
        ObjectDisposedException.ThrowIf(_disposed, this);
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
        ObjectDisposedException.ThrowIf(_disposed, this);
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

    /// <summary>Zeroes every block whose entry in the row-major <paramref name="keep"/> mask is false.</summary>
    public void ClearOutside(ReadOnlySpan<bool> keep)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (keep.Length != BlockCount)
        {
            throw new ArgumentException($"the mask has {keep.Length} entries for {BlockCount} blocks", nameof(keep));
        }

        for (int b = 0; b < keep.Length; b++)
        {
            if (!keep[b])
            {
                new Span<float>(_data + ((long)b * Channels), Channels).Clear();
            }
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
        NativeMemory.Free(_data);
    }
}
