namespace Istar.Analysis;

/// <summary>
/// Super-resolved predictions of the blocks inside the tissue mask: one row of <see cref="Genes"/> values per block,
/// with the block's grid position. This is the input of every downstream analysis.
/// </summary>
public sealed class BlockPredictions
{
    /// <summary>Wraps a Blocks × Genes row-major matrix and the (row, column) of each block on a GridRows × GridColumns grid.</summary>
    public BlockPredictions(float[] values, IReadOnlyList<string> genes, int[] blockRows, int[] blockColumns, int gridRows, int gridColumns)
    {
        ArgumentNullException.ThrowIfNull(values);
        ArgumentNullException.ThrowIfNull(genes);
        ArgumentNullException.ThrowIfNull(blockRows);
        ArgumentNullException.ThrowIfNull(blockColumns);
        if (blockRows.Length != blockColumns.Length)
        {
            throw new ArgumentException("blockRows and blockColumns differ in length", nameof(blockColumns));
        }

        if (values.LongLength != (long)blockRows.Length * genes.Count)
        {
            throw new ArgumentException($"values hold {values.LongLength} entries, not {blockRows.Length} blocks x {genes.Count} genes", nameof(values));
        }

        for (int i = 0; i < blockRows.Length; i++)
        {
            if ((uint)blockRows[i] >= (uint)gridRows || (uint)blockColumns[i] >= (uint)gridColumns)
            {
                throw new ArgumentOutOfRangeException(nameof(blockRows), $"block {i} at ({blockRows[i]}, {blockColumns[i]}) is outside the {gridRows} x {gridColumns} grid");
            }
        }

        Values = values;
        Genes = genes;
        BlockRows = blockRows;
        BlockColumns = blockColumns;
        GridRows = gridRows;
        GridColumns = gridColumns;
    }

    /// <summary>Blocks × Genes, row-major.</summary>
    public float[] Values { get; }

    /// <summary>Gene names in column order.</summary>
    public IReadOnlyList<string> Genes { get; }

    /// <summary>Grid row of each block.</summary>
    public int[] BlockRows { get; }

    /// <summary>Grid column of each block.</summary>
    public int[] BlockColumns { get; }

    /// <summary>Rows of the block grid.</summary>
    public int GridRows { get; }

    /// <summary>Columns of the block grid.</summary>
    public int GridColumns { get; }

    /// <summary>Number of blocks (rows of the matrix).</summary>
    public int Count => BlockRows.Length;

    /// <summary>Number of genes.</summary>
    public int GeneCount => Genes.Count;

    /// <summary>The values of one block.</summary>
    public ReadOnlySpan<float> Block(int i) => Values.AsSpan(i * GeneCount, GeneCount);

    /// <summary>Index of a gene, or −1.</summary>
    public int GeneIndex(string gene)
    {
        for (int g = 0; g < Genes.Count; g++)
        {
            if (string.Equals(Genes[g], gene, StringComparison.Ordinal))
            {
                return g;
            }
        }

        return -1;
    }

    /// <summary>Builds from a full grid mask and per-gene planes (GridRows × GridColumns each), keeping the blocks in the mask in raster order.</summary>
    public static BlockPredictions FromPlanes(IReadOnlyList<float[]> planes, IReadOnlyList<string> genes, ReadOnlySpan<bool> mask, int gridRows, int gridColumns)
    {
        ArgumentNullException.ThrowIfNull(planes);
        ArgumentNullException.ThrowIfNull(genes);
        var rows = new List<int>();
        var cols = new List<int>();
        for (int i = 0; i < mask.Length; i++)
        {
            if (mask[i])
            {
                rows.Add(i / gridColumns);
                cols.Add(i % gridColumns);
            }
        }

        int g = genes.Count;
        var values = new float[rows.Count * g];
        for (int k = 0; k < g; k++)
        {
            float[] plane = planes[k];
            for (int b = 0; b < rows.Count; b++)
            {
                values[(b * g) + k] = plane[(rows[b] * gridColumns) + cols[b]];
            }
        }

        return new BlockPredictions(values, genes, [.. rows], [.. cols], gridRows, gridColumns);
    }

    /// <summary>Scatters per-block values onto the grid (fill elsewhere).</summary>
    public T[] ToGrid<T>(ReadOnlySpan<T> perBlock, T fill)
    {
        var grid = new T[GridRows * GridColumns];
        Array.Fill(grid, fill);
        for (int i = 0; i < Count; i++)
        {
            grid[(BlockRows[i] * GridColumns) + BlockColumns[i]] = perBlock[i];
        }

        return grid;
    }
}
