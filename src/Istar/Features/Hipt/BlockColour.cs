namespace Istar.Features.Hipt;

/// <summary>The three <c>rgb</c> feature channels (spec §5.5), from <see cref="Istar.Imaging.BlockColour"/>.</summary>
internal static class BlockColour
{
    /// <summary>Writes the block means of <paramref name="image"/> into channels [start, start + 3) of a grid.</summary>
    public static void Write(FeatureGrid grid, Istar.Imaging.ScaledImage image, int start)
    {
        ArgumentNullException.ThrowIfNull(grid);
        ArgumentNullException.ThrowIfNull(image);
        var means = Istar.Imaging.BlockColour.Compute(image);
        int hb = image.Height / 16, wb = image.Width / 16;
        var plane = new float[grid.BlockCount];
        for (int c = 0; c < 3; c++)
        {
            Array.Clear(plane);
            for (int r = 0; r < Math.Min(hb, grid.Rows); r++)
            {
                for (int col = 0; col < Math.Min(wb, grid.Columns); col++)
                {
                    plane[(r * grid.Columns) + col] = means[((long)c * hb * wb) + (r * wb) + col];
                }
            }

            grid.SetChannelPlane(start + c, plane);
        }
    }
}
