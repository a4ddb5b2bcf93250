namespace Istar.Input;

/// <summary>
/// A rows × columns count matrix in CSR form (spots × genes). Values are float32 as in AnnData; raw UMI counts
/// are whole numbers but readers accept any finite non-negative value and validators warn about fractions.
/// </summary>
public sealed class SparseCounts
{
    /// <summary>Creates a CSR matrix; arrays are taken over, not copied.</summary>
    public SparseCounts(int rows, int columns, long[] rowPointers, int[] columnIndices, float[] values)
    {
        ArgumentNullException.ThrowIfNull(rowPointers);
        ArgumentNullException.ThrowIfNull(columnIndices);
        ArgumentNullException.ThrowIfNull(values);
        if (rowPointers.Length != rows + 1 || columnIndices.Length != values.Length || rowPointers[^1] != values.Length)
        {
            throw new ArgumentException("inconsistent CSR arrays");
        }

        Rows = rows;
        Columns = columns;
        RowPointers = rowPointers;
        ColumnIndices = columnIndices;
        Values = values;
    }

    /// <summary>Number of rows (spots).</summary>
    public int Rows { get; }

    /// <summary>Number of columns (genes).</summary>
    public int Columns { get; }

    /// <summary>CSR row pointers, length Rows + 1.</summary>
    public long[] RowPointers { get; }

    /// <summary>CSR column index of each stored value.</summary>
    public int[] ColumnIndices { get; }

    /// <summary>Stored values.</summary>
    public float[] Values { get; }

    /// <summary>Builds a CSR matrix from a dense row-major array, dropping zeros.</summary>
    public static SparseCounts FromDense(int rows, int columns, ReadOnlySpan<float> dense)
    {
        if (dense.Length != (long)rows * columns)
        {
            throw new ArgumentException("dense length must be rows * columns", nameof(dense));
        }

        var ptr = new long[rows + 1];
        var idx = new List<int>();
        var val = new List<float>();
        for (int r = 0; r < rows; r++)
        {
            var row = dense.Slice(r * columns, columns);
            for (int c = 0; c < columns; c++)
            {
                if (row[c] != 0)
                {
                    idx.Add(c);
                    val.Add(row[c]);
                }
            }

            ptr[r + 1] = idx.Count;
        }

        return new SparseCounts(rows, columns, ptr, [.. idx], [.. val]);
    }

    /// <summary>One column (gene) as a dense vector over rows.</summary>
    public float[] DenseColumn(int column)
    {
        var result = new float[Rows];
        for (int r = 0; r < Rows; r++)
        {
            for (long k = RowPointers[r]; k < RowPointers[r + 1]; k++)
            {
                if (ColumnIndices[k] == column)
                {
                    result[r] = Values[k];
                }
            }
        }

        return result;
    }

    /// <summary>Selected columns as a dense row-major rows × columns.Count array.</summary>
    public float[] DenseColumns(IReadOnlyList<int> columns)
    {
        ArgumentNullException.ThrowIfNull(columns);
        var position = new Dictionary<int, int>();
        for (int i = 0; i < columns.Count; i++)
        {
            position[columns[i]] = i;
        }

        var result = new float[(long)Rows * columns.Count];
        for (int r = 0; r < Rows; r++)
        {
            for (long k = RowPointers[r]; k < RowPointers[r + 1]; k++)
            {
                if (position.TryGetValue(ColumnIndices[k], out int p))
                {
                    result[((long)r * columns.Count) + p] = Values[k];
                }
            }
        }

        return result;
    }

    /// <summary>Keeps the given rows, in the given order.</summary>
    public SparseCounts SelectRows(IReadOnlyList<int> rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        var ptr = new long[rows.Count + 1];
        long nnz = 0;
        for (int i = 0; i < rows.Count; i++)
        {
            nnz += RowPointers[rows[i] + 1] - RowPointers[rows[i]];
            ptr[i + 1] = nnz;
        }

        var idx = new int[nnz];
        var val = new float[nnz];
        for (int i = 0; i < rows.Count; i++)
        {
            long from = RowPointers[rows[i]];
            int len = (int)(RowPointers[rows[i] + 1] - from);
            Array.Copy(ColumnIndices, from, idx, ptr[i], len);
            Array.Copy(Values, from, val, ptr[i], len);
        }

        return new SparseCounts(rows.Count, Columns, ptr, idx, val);
    }

    /// <summary>Sum of each row.</summary>
    public double[] RowSums()
    {
        var sums = new double[Rows];
        for (int r = 0; r < Rows; r++)
        {
            double s = 0;
            for (long k = RowPointers[r]; k < RowPointers[r + 1]; k++)
            {
                s += Values[k];
            }

            sums[r] = s;
        }

        return sums;
    }
}
