namespace Istar.Features.Hipt;

/// <summary>
/// The three <c>rgb</c> feature channels (spec §5.5): per 16 × 16 block the mean of <c>v/255</c> held in float16,
/// accumulated in float32 and rounded back to float16, as NumPy does. Private to HIPT for now; Imaging/BlockColour
/// (another branch) computes the same thing and should replace this at merge.
/// </summary>
internal static class BlockColour
{
    private static readonly float[] HalfOfUnit = BuildTable();

    /// <summary>Writes the block means of <paramref name="image"/> into channels [start, start + 3) of a grid.</summary>
    public static void Write(FeatureGrid grid, Istar.Imaging.ScaledImage image, int start)
    {
        ArgumentNullException.ThrowIfNull(grid);
        ArgumentNullException.ThrowIfNull(image);
        int rows = Math.Min(grid.Rows, image.Height / 16);
        for (int br = 0; br < rows; br++)
        {
            WriteBlockRow(grid, br, image.ReadRows(br * 16, 16), image.Width, start);
        }
    }

    /// <summary>Block row <paramref name="br"/> from its 16 pixel rows (interleaved RGB, <paramref name="width"/> px wide).</summary>
    private static void WriteBlockRow(FeatureGrid grid, int br, ReadOnlySpan<byte> rgb, int width, int start)
    {
        int cols = Math.Min(grid.Columns, width / 16);
        Span<float> sums = stackalloc float[3];
        for (int bc = 0; bc < cols; bc++)
        {
            sums.Clear();
            for (int y = 0; y < 16; y++)
            {
                var line = rgb.Slice((y * width * 3) + (bc * 16 * 3), 16 * 3);
                for (int x = 0; x < 16; x++)
                {
                    sums[0] += HalfOfUnit[line[x * 3]];
                    sums[1] += HalfOfUnit[line[(x * 3) + 1]];
                    sums[2] += HalfOfUnit[line[(x * 3) + 2]];
                }
            }

            var block = grid.Block(br, bc);
            for (int ch = 0; ch < 3; ch++)
            {
                block[start + ch] = (float)(Half)(sums[ch] / 256f);
            }
        }
    }

    private static float[] BuildTable()
    {
        var table = new float[256];
        for (int v = 0; v < 256; v++)
        {
            table[v] = (float)(Half)(v / 255.0);
        }

        return table;
    }
}
