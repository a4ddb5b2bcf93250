using System.IO.MemoryMappedFiles;

namespace Istar.Output;

/// <summary>
/// A tissue-blocks × genes float32 table on disk, memory-mapped: predictions are pushed in (block-row chunks from
/// the predictor) and pulled out in row blocks (the h5ad writer) or per gene (maps), so a slide with 10⁶ blocks and
/// 10³ genes never sits on the managed heap. Rows follow the mask in row-major order, as in the output AnnData.
/// </summary>
internal sealed unsafe class MaskedBlockTable : IDisposable
{
    private readonly MemoryMappedFile _file;
    private readonly MemoryMappedViewAccessor _view;
    private readonly float* _data;
    private readonly int[] _rowOfBlock;
    private bool _disposed;

    public MaskedBlockTable(string path, bool[] mask, int gridRows, int gridColumns, int genes, bool create = true)
    {
        ArgumentNullException.ThrowIfNull(mask);
        if (mask.Length != gridRows * gridColumns)
        {
            throw new ArgumentException("mask must hold gridRows * gridColumns values", nameof(mask));
        }

        GridRows = gridRows;
        GridColumns = gridColumns;
        Genes = genes;
        _rowOfBlock = new int[mask.Length];
        var blocks = new List<(int Row, int Column)>();
        for (int b = 0; b < mask.Length; b++)
        {
            _rowOfBlock[b] = mask[b] ? blocks.Count : -1;
            if (mask[b])
            {
                blocks.Add((b / gridColumns, b % gridColumns));
            }
        }

        Blocks = blocks;
        long bytes = Math.Max(1, (long)blocks.Count * genes * sizeof(float));
        if (create)
        {
            using var fs = new FileStream(path, FileMode.Create, FileAccess.ReadWrite);
            fs.SetLength(bytes);
        }
        else if (new FileInfo(path).Length != bytes)
        {
            throw new InvalidDataException($"{path}: expected {bytes} bytes for {blocks.Count} blocks x {genes} genes, found {new FileInfo(path).Length}");
        }

        _file = MemoryMappedFile.CreateFromFile(path, FileMode.Open, null, 0, MemoryMappedFileAccess.ReadWrite);
        _view = _file.CreateViewAccessor(0, 0, MemoryMappedFileAccess.ReadWrite);
        byte* p = null;
        _view.SafeMemoryMappedViewHandle.AcquirePointer(ref p);
        _data = (float*)(p + _view.PointerOffset);
    }

    /// <summary>Reopens a table written earlier (a cache entry) without clearing it.</summary>
    public static MaskedBlockTable Open(string path, bool[] mask, int gridRows, int gridColumns, int genes) =>
        new(path, mask, gridRows, gridColumns, genes, create: false);

    public int GridRows { get; }

    public int GridColumns { get; }

    public int Genes { get; }

    /// <summary>The tissue blocks (block row, block column) in table-row order.</summary>
    public IReadOnlyList<(int Row, int Column)> Blocks { get; }

    public int Count => Blocks.Count;

    /// <summary>Stores a chunk of grid rows in block-major (row, column, gene) layout; blocks outside the mask are skipped.</summary>
    public void WriteGridRows(int firstRow, int rowCount, ReadOnlySpan<float> values)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (values.Length != (long)rowCount * GridColumns * Genes)
        {
            throw new ArgumentException("chunk must hold rowCount * gridColumns * genes values", nameof(values));
        }

        for (int r = 0; r < rowCount; r++)
        {
            for (int c = 0; c < GridColumns; c++)
            {
                int tableRow = _rowOfBlock[((firstRow + r) * GridColumns) + c];
                if (tableRow >= 0)
                {
                    values.Slice(((r * GridColumns) + c) * Genes, Genes).CopyTo(Row(tableRow));
                }
            }
        }
    }

    /// <summary>One table row (the genes of one tissue block).</summary>
    public Span<float> Row(int tableRow)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual((uint)tableRow, (uint)Count, nameof(tableRow));
        return new Span<float>(_data + ((long)tableRow * Genes), Genes);
    }

    /// <summary>Copies table rows [first, first + count) into <paramref name="destination"/> (row-major).</summary>
    public void CopyRows(int first, int count, Span<float> destination)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        new ReadOnlySpan<float>(_data + ((long)first * Genes), count * Genes).CopyTo(destination);
    }

    /// <summary>One gene over the whole grid, NaN outside the mask (for maps).</summary>
    public float[] GenePlane(int gene)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual((uint)gene, (uint)Genes, nameof(gene));
        var plane = new float[GridRows * GridColumns];
        Array.Fill(plane, float.NaN);
        for (int i = 0; i < Count; i++)
        {
            var (r, c) = Blocks[i];
            plane[(r * GridColumns) + c] = _data[((long)i * Genes) + gene];
        }

        return plane;
    }

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        _view.SafeMemoryMappedViewHandle.ReleasePointer();
        _view.Dispose();
        _file.Dispose();
    }
}
