namespace Istar.Training;

/// <summary>
/// The blocks one spot covers, as (row, column) positions on the block grid. A footprint may reach outside the grid
/// until it is clipped (<see cref="ClipTo"/>); the trainer only sees clipped footprints. Blocks are kept in the order
/// given (row-major for disks and squares, as the reference's <c>patch[mask]</c>) without duplicates.
/// </summary>
internal sealed class SpotFootprint
{
    private readonly int[] _rows;
    private readonly int[] _columns;

    /// <summary>Creates a footprint from block positions; duplicates are removed, first occurrence kept.</summary>
    public SpotFootprint(IEnumerable<(int Row, int Column)> blocks)
    {
        ArgumentNullException.ThrowIfNull(blocks);
        var seen = new HashSet<(int, int)>();
        var rows = new List<int>();
        var columns = new List<int>();
        foreach (var (r, c) in blocks)
        {
            if (seen.Add((r, c)))
            {
                rows.Add(r);
                columns.Add(c);
            }
        }

        _rows = [.. rows];
        _columns = [.. columns];
    }

    /// <summary>Number of blocks.</summary>
    public int Count => _rows.Length;

    /// <summary>Block rows.</summary>
    public ReadOnlySpan<int> Rows => _rows;

    /// <summary>Block columns.</summary>
    public ReadOnlySpan<int> Columns => _columns;

    /// <summary>Blocks as (row, column) pairs.</summary>
    public IEnumerable<(int Row, int Column)> Blocks
    {
        get
        {
            for (int k = 0; k < _rows.Length; k++)
            {
                yield return (_rows[k], _columns[k]);
            }
        }
    }

    /// <summary>True when every block lies inside a rows × columns grid.</summary>
    public bool FitsIn(int rows, int columns)
    {
        for (int k = 0; k < _rows.Length; k++)
        {
            if ((uint)_rows[k] >= (uint)rows || (uint)_columns[k] >= (uint)columns)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>The part inside a rows × columns grid (may be empty).</summary>
    public SpotFootprint ClipTo(int rows, int columns) =>
        FitsIn(rows, columns) ? this : new SpotFootprint(Blocks.Where(b => (uint)b.Row < (uint)rows && (uint)b.Column < (uint)columns));

    /// <summary>Linear block indices <c>row · columns + column</c>; every block must lie inside the grid.</summary>
    public int[] LinearIndices(int columns)
    {
        var result = new int[_rows.Length];
        for (int k = 0; k < result.Length; k++)
        {
            result[k] = (_rows[k] * columns) + _columns[k];
        }

        return result;
    }

    /// <summary>The union of several footprints (pooled pseudo-spots), in first-seen order.</summary>
    public static SpotFootprint Union(IEnumerable<SpotFootprint> parts)
    {
        ArgumentNullException.ThrowIfNull(parts);
        return new SpotFootprint(parts.SelectMany(p => p.Blocks));
    }
}
