namespace Istar.Formats.AnnData;

/// <summary>An observations × variables matrix as stored in <c>X</c> or <c>layers</c>: dense, CSR, or fed row block by row block.</summary>
internal abstract class AnnMatrix
{
    protected AnnMatrix(int rows, int columns)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(rows);
        ArgumentOutOfRangeException.ThrowIfNegative(columns);
        Rows = rows;
        Columns = columns;
    }

    /// <summary>Number of rows (observations).</summary>
    public int Rows { get; }

    /// <summary>Number of columns (variables).</summary>
    public int Columns { get; }
}

/// <summary>A dense row-major float32 matrix held in one array (so at most 2^31 - 1 values).</summary>
internal sealed class DenseMatrix : AnnMatrix
{
    public DenseMatrix(int rows, int columns, float[] values)
        : base(rows, columns)
    {
        ArgumentNullException.ThrowIfNull(values);
        if (values.LongLength != (long)rows * columns)
        {
            throw new ArgumentException($"a {rows} × {columns} matrix needs {(long)rows * columns} values, got {values.LongLength}", nameof(values));
        }

        Values = values;
    }

    /// <summary>Row-major values.</summary>
    public float[] Values { get; }

    public float this[int row, int column] => Values[((long)row * Columns) + column];
}

/// <summary>A compressed sparse row float32 matrix (anndata <c>csr_matrix</c>).</summary>
internal sealed class CsrMatrix : AnnMatrix
{
    public CsrMatrix(int rows, int columns, long[] rowPointers, int[] columnIndices, float[] values)
        : base(rows, columns)
    {
        ArgumentNullException.ThrowIfNull(rowPointers);
        ArgumentNullException.ThrowIfNull(columnIndices);
        ArgumentNullException.ThrowIfNull(values);
        if (rowPointers.Length != rows + 1 || columnIndices.Length != values.Length || rowPointers[0] != 0 || rowPointers[^1] != values.Length)
        {
            throw new ArgumentException("inconsistent CSR arrays: need rows + 1 row pointers from 0 to the number of values, and one column index per value");
        }

        RowPointers = rowPointers;
        ColumnIndices = columnIndices;
        Values = values;
    }

    public long[] RowPointers { get; }

    public int[] ColumnIndices { get; }

    public float[] Values { get; }

    /// <summary>Builds a CSR matrix from a dense row-major array, dropping zeros.</summary>
    public static CsrMatrix FromDense(int rows, int columns, ReadOnlySpan<float> dense)
    {
        var counts = Input.SparseCounts.FromDense(rows, columns, dense);
        return new CsrMatrix(rows, columns, counts.RowPointers, counts.ColumnIndices, counts.Values);
    }

    /// <summary>The matrix as dense row-major values.</summary>
    public float[] ToDense()
    {
        var dense = new float[(long)Rows * Columns];
        for (int r = 0; r < Rows; r++)
        {
            for (long k = RowPointers[r]; k < RowPointers[r + 1]; k++)
            {
                dense[((long)r * Columns) + ColumnIndices[k]] = Values[k];
            }
        }

        return dense;
    }
}

/// <summary>
/// A dense float32 matrix that is never held whole: the writer asks for it row block by row block, so outputs far
/// larger than 2^31 values (e.g. 400k cells × 1000 genes and up) are written with one block in memory at a time.
/// </summary>
internal sealed class RowBlockMatrix : AnnMatrix
{
    /// <param name="rows">Number of rows.</param>
    /// <param name="columns">Number of columns.</param>
    /// <param name="fill">Called with (first row, row count, destination of row count × columns row-major values); called in order of rows, once per block.</param>
    public RowBlockMatrix(int rows, int columns, Action<int, int, Memory<float>> fill)
        : base(rows, columns)
    {
        Fill = fill ?? throw new ArgumentNullException(nameof(fill));
    }

    public Action<int, int, Memory<float>> Fill { get; }
}
