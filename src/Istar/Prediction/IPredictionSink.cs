using System.Runtime.InteropServices;

namespace Istar.Prediction;

/// <summary>
/// Receives super-resolved predictions in block-row chunks, top to bottom, so a whole slide (Hb · Wb · G floats per
/// layer) never has to sit in memory unless the sink chooses to keep it. Each call covers block rows
/// <c>firstRow … firstRow + rowCount − 1</c> in block-major layout (row, column, gene).
/// </summary>
/// <remarks>
/// Design: a push interface rather than a returned grid, because the consumers differ (an in-memory grid for tests and
/// small slides, an <c>.h5ad</c>/<c>.npy</c> writer for big ones); <see cref="PredictionGrid"/> is the in-memory sink,
/// backed by native memory. Blocks outside the mask are written as 0 with spread 0.
/// </remarks>
internal interface IPredictionSink
{
    /// <summary>
    /// One chunk: <paramref name="counts"/> = ensemble median of expected counts per block, <paramref name="spread"/> =
    /// ensemble standard deviation across members (same unit); both rowCount × Wb × G.
    /// </summary>
    void Write(int firstRow, int rowCount, ReadOnlySpan<float> counts, ReadOnlySpan<float> spread);
}

/// <summary>
/// Receives the gene-expression latent (the 256-d trunk output, iStar's <c>embeddings-gene</c>) in block-row chunks:
/// rowCount × Wb × 256, the element-wise median over members as the reference computes it (spec §11; the members'
/// latent spaces are not aligned, §16.5, so this is only meaningful as the reference's clustering input).
/// </summary>
internal interface ILatentSink
{
    void Write(int firstRow, int rowCount, ReadOnlySpan<float> latent);
}

/// <summary>All predictions of a grid in native memory: Hb × Wb × G counts and spread, block-major.</summary>
internal sealed unsafe class PredictionGrid : IPredictionSink, IDisposable
{
    private readonly float* _counts;
    private readonly float* _spread;
    private bool _disposed;

    public PredictionGrid(int rows, int columns, int genes)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(rows);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(columns);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(genes);
        Rows = rows;
        Columns = columns;
        Genes = genes;
        nuint bytes = (nuint)((long)rows * columns * genes * sizeof(float));
        _counts = (float*)NativeMemory.AllocZeroed(bytes);
        _spread = (float*)NativeMemory.AllocZeroed(bytes);
    }

    public int Rows { get; }

    public int Columns { get; }

    public int Genes { get; }

    /// <summary>Expected counts of one block, one value per gene.</summary>
    public ReadOnlySpan<float> Counts(int row, int column) => new(_counts + Offset(row, column), Genes);

    /// <summary>Ensemble spread of one block, one value per gene.</summary>
    public ReadOnlySpan<float> Spread(int row, int column) => new(_spread + Offset(row, column), Genes);

    /// <summary>One gene as a Rows × Columns row-major plane (a copy).</summary>
    public float[] CountPlane(int gene) => Plane(_counts, gene);

    /// <summary>One gene's spread as a Rows × Columns row-major plane (a copy).</summary>
    public float[] SpreadPlane(int gene) => Plane(_spread, gene);

    /// <inheritdoc />
    public void Write(int firstRow, int rowCount, ReadOnlySpan<float> counts, ReadOnlySpan<float> spread)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        long length = (long)rowCount * Columns * Genes;
        if (firstRow < 0 || firstRow + rowCount > Rows || counts.Length != length || spread.Length != length)
        {
            throw new ArgumentException($"chunk of rows {firstRow}+{rowCount} does not fit a {Rows} x {Columns} x {Genes} grid");
        }

        long offset = (long)firstRow * Columns * Genes;
        counts.CopyTo(new Span<float>(_counts + offset, (int)length));
        spread.CopyTo(new Span<float>(_spread + offset, (int)length));
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        NativeMemory.Free(_counts);
        NativeMemory.Free(_spread);
    }

    private long Offset(int row, int column)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if ((uint)row >= (uint)Rows || (uint)column >= (uint)Columns)
        {
            throw new ArgumentOutOfRangeException(nameof(row), $"block ({row}, {column}) outside {Rows} x {Columns}");
        }

        return (((long)row * Columns) + column) * Genes;
    }

    private float[] Plane(float* data, int gene)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual((uint)gene, (uint)Genes, nameof(gene));
        var plane = new float[(long)Rows * Columns];
        for (long b = 0; b < plane.LongLength; b++)
        {
            plane[b] = data[(b * Genes) + gene];
        }

        return plane;
    }
}
