namespace Istar.Training;

/// <summary>
/// Builds spot footprints on the block grid (spec §10.1, §16.6). Two disk rules:
/// <list type="bullet">
/// <item><b>Faithful</b> (<see cref="ReferenceDisk"/>): the reference's rule. The spot's block is
/// <c>(round(y/16), round(x/16))</c> (half to even) from the rounded scaled location, and the disk is the
/// <c>(2R+1)²</c> window with <c>R = ceil(r)</c>, keeping offsets with <c>di² + dj² ≤ r²</c>, <c>r = radius/16</c> blocks.
/// This centres the disk on the block whose top-left corner is nearest, ≈ half a block off the true centre.</item>
/// <item><b>Exact</b> (<see cref="ExactDisk"/>, our default): blocks whose centre lies within the radius of the true
/// (unrounded) spot centre.</item>
/// </list>
/// Squares (binned data) and unions (pooled spots) are also footprints; the trainer accepts any.
/// </summary>
internal static class FootprintBuilder
{
    /// <summary>Pixels per block side on the working image (16 at 0.5 µm/px = 8 µm blocks).</summary>
    public const int BlockPixels = 16;

    /// <summary>
    /// The reference disk mask (<c>get_disk_mask</c>): a (2R+1)² row-major boolean window, R = ceil(r), cell (a, b)
    /// included iff (a−R)² + (b−R)² ≤ r².
    /// </summary>
    public static bool[,] DiskMask(double radiusBlocks)
    {
        if (!(radiusBlocks >= 0) || double.IsInfinity(radiusBlocks))
        {
            throw new ArgumentOutOfRangeException(nameof(radiusBlocks), "radius must be finite and non-negative");
        }

        int big = (int)Math.Ceiling(radiusBlocks);
        int side = (2 * big) + 1;
        var mask = new bool[side, side];
        double r2 = radiusBlocks * radiusBlocks;
        for (int a = 0; a < side; a++)
        {
            for (int b = 0; b < side; b++)
            {
                long di = a - big;
                long dj = b - big;
                mask[a, b] = (di * di) + (dj * dj) <= r2;
            }
        }

        return mask;
    }

    /// <summary>Number of blocks in the reference disk of radius <paramref name="radiusBlocks"/> blocks.</summary>
    public static int DiskSize(double radiusBlocks)
    {
        var mask = DiskMask(radiusBlocks);
        int n = 0;
        foreach (bool b in mask)
        {
            n += b ? 1 : 0;
        }

        return n;
    }

    /// <summary>The reference's spot block: <c>(round(y/16), round(x/16))</c>, half to even, from scaled pixels.</summary>
    public static (int Row, int Column) ReferenceBlock(double xPixels, double yPixels, int blockPixels = BlockPixels) =>
        ((int)Math.Round(yPixels / blockPixels, MidpointRounding.ToEven), (int)Math.Round(xPixels / blockPixels, MidpointRounding.ToEven));

    /// <summary>The reference disk (faithful path) around block (row, column); may reach outside the grid.</summary>
    public static SpotFootprint ReferenceDisk(int row, int column, double radiusBlocks)
    {
        var mask = DiskMask(radiusBlocks);
        int big = mask.GetLength(0) / 2;
        var blocks = new List<(int, int)>();
        for (int a = 0; a < mask.GetLength(0); a++)
        {
            for (int b = 0; b < mask.GetLength(1); b++)
            {
                if (mask[a, b])
                {
                    blocks.Add((row + a - big, column + b - big));
                }
            }
        }

        return new SpotFootprint(blocks);
    }

    /// <summary>
    /// Blocks whose centre lies within <paramref name="radiusPixels"/> of the exact spot centre (x = column, y = row,
    /// in working-image pixels), in row-major order; may reach outside the grid.
    /// </summary>
    public static SpotFootprint ExactDisk(double xPixels, double yPixels, double radiusPixels, int blockPixels = BlockPixels)
    {
        if (!double.IsFinite(xPixels) || !double.IsFinite(yPixels) || !(radiusPixels >= 0) || double.IsInfinity(radiusPixels))
        {
            throw new ArgumentOutOfRangeException(nameof(radiusPixels), "centre and radius must be finite, radius non-negative");
        }

        double r2 = radiusPixels * radiusPixels;
        int rowLo = (int)Math.Floor((yPixels - radiusPixels) / blockPixels) - 1;
        int rowHi = (int)Math.Ceiling((yPixels + radiusPixels) / blockPixels) + 1;
        int colLo = (int)Math.Floor((xPixels - radiusPixels) / blockPixels) - 1;
        int colHi = (int)Math.Ceiling((xPixels + radiusPixels) / blockPixels) + 1;
        var blocks = new List<(int, int)>();
        for (int i = rowLo; i <= rowHi; i++)
        {
            double dy = ((i + 0.5) * blockPixels) - yPixels;
            for (int j = colLo; j <= colHi; j++)
            {
                double dx = ((j + 0.5) * blockPixels) - xPixels;
                if ((dx * dx) + (dy * dy) <= r2)
                {
                    blocks.Add((i, j));
                }
            }
        }

        return new SpotFootprint(blocks);
    }

    /// <summary>A rectangle of blocks (binned data): rows row0 … row0+height−1, columns col0 … col0+width−1.</summary>
    public static SpotFootprint Square(int row0, int column0, int height, int width)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(height);
        ArgumentOutOfRangeException.ThrowIfNegative(width);
        var blocks = new List<(int, int)>(height * width);
        for (int i = 0; i < height; i++)
        {
            for (int j = 0; j < width; j++)
            {
                blocks.Add((row0 + i, column0 + j));
            }
        }

        return new SpotFootprint(blocks);
    }
}
