using Istar.Input;
using Istar.Pipeline;
using NetVips;

namespace Istar.Masking;

/// <summary>
/// A tissue mask supplied with <c>--mask FILE</c>: any image libvips reads (PNG, TIFF, JPEG, …) at any resolution,
/// covering the same field of view as the slide. Non-zero pixels (any colour band; alpha ignored) are tissue, as in
/// the reference's <c>load_mask</c>. The mask is resampled onto the block grid by exact area averaging; a block is
/// tissue when more than half of its area is.
/// </summary>
internal static class UserMask
{
    /// <summary>
    /// Loads the mask onto a <paramref name="rows"/> × <paramref name="columns"/> block grid whose slide content spans
    /// <paramref name="contentRows"/> × <paramref name="contentColumns"/> blocks from the top-left (the rest is the
    /// white padding, never tissue). Pass the grid size twice when there is no padding.
    /// </summary>
    public static bool[] Load(string path, int rows, int columns, double contentRows, double contentColumns, IRunLog log)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(log);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(rows);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(columns);
        if (contentRows <= 0 || contentRows > rows || contentColumns <= 0 || contentColumns > columns)
        {
            throw new ArgumentOutOfRangeException(nameof(contentRows), "the content must lie inside the grid");
        }

        if (!File.Exists(path))
        {
            throw new InputException(path, "the mask file does not exist.", "Pass a PNG or TIFF where non-zero (white) pixels mark tissue.");
        }

        double[] coverage;
        int width;
        int height;
        try
        {
            using var image = Image.NewFromFile(path, access: Enums.Access.Sequential);
            width = image.Width;
            height = image.Height;
            using var binary = Binary(image);
            coverage = AreaAverage(binary, rows, columns, contentRows, contentColumns);
        }
        catch (VipsException e)
        {
            throw new InputException(path, "cannot be read as an image: " + e.Message.Split('\n')[0].Trim(), "Save the mask as an 8-bit PNG or TIFF (white = tissue, black = background).");
        }

        double maskAspect = width / (double)height;
        double gridAspect = contentColumns / contentRows;
        if (Math.Abs(Math.Log(maskAspect / gridAspect)) > 0.02)
        {
            log.Warn($"{path}: the mask is {width} x {height} px (aspect {maskAspect:F3}) but the slide is {contentColumns * 16:F0} x {contentRows * 16:F0} px at the working resolution (aspect {gridAspect:F3}); it is stretched to fit. Check that it covers the whole slide.");
        }

        var mask = new bool[rows * columns];
        int n = 0;
        bool anyPixel = false;
        for (int i = 0; i < mask.Length; i++)
        {
            anyPixel |= coverage[i] > 0;
            mask[i] = coverage[i] > 0.5;
            n += mask[i] ? 1 : 0;
        }

        if (!anyPixel)
        {
            throw new InputException(path, "the mask has no tissue: every pixel is zero.", "Non-zero (white) pixels mark tissue; check that the mask is not inverted or blank.");
        }

        if (n == 0)
        {
            throw new InputException(path, $"the mask covers no block: no {16}-px block of the working image is more than half tissue.", "Draw the tissue region larger, or check that the mask matches the slide.");
        }

        log.Info($"[mask] user mask {Path.GetFileName(path)}: {n:N0} of {mask.Length:N0} blocks ({n / (double)mask.Length:P1}).");
        return mask;
    }

    /// <summary>Loads a mask for a grid without padding.</summary>
    public static bool[] Load(string path, int rows, int columns, IRunLog log) => Load(path, rows, columns, rows, columns, log);

    /// <summary>One float band, 1 where any colour band is non-zero, else 0.</summary>
    private static Image Binary(Image image)
    {
        Image x = image;
        if (x.Bands == 2 || x.Bands == 4)
        {
            x = x.ExtractBand(0, x.Bands - 1);
        }

        Image positive = x > 0;
        Image any = positive.Bands > 1 ? positive.Bandbool(Enums.OperationBoolean.Or) : positive;
        return any.Cast(Enums.BandFormat.Float) / 255.0;
    }

    private static double[] AreaAverage(Image binary, int rows, int columns, double contentRows, double contentColumns)
    {
        // Large masks are first box-shrunk by an integer factor (an exact mean over whole pixel squares).
        Image src = binary;
        int fx = Math.Max(1, (int)(binary.Width / (contentColumns * 4)));
        int fy = Math.Max(1, (int)(binary.Height / (contentRows * 4)));
        if (fx > 1 || fy > 1)
        {
            src = binary.Cast(Enums.BandFormat.Float).Shrink(fx, fy);
        }
        else
        {
            src = binary.Cast(Enums.BandFormat.Float);
        }

        int w = src.Width;
        int h = src.Height;
        float[] pixels = src.WriteToMemory<float>();
        if (!ReferenceEquals(src, binary))
        {
            src.Dispose();
        }

        // Fraction of each block's area (in block units, so padding counts as background) covered by tissue.
        // Column pass: per source row, overlap-weighted sums per block column.
        double sx = contentColumns / w;
        double sy = contentRows / h;
        var rowSums = new double[h * columns];
        for (int y = 0; y < h; y++)
        {
            int yo = y * columns;
            int po = y * w;
            for (int x = 0; x < w; x++)
            {
                float v = pixels[po + x];
                if (v == 0)
                {
                    continue;
                }

                double a = x * sx;
                double b = (x + 1) * sx;
                for (int bc = (int)a; bc < columns && bc < b; bc++)
                {
                    double ov = Math.Min(b, bc + 1) - Math.Max(a, bc);
                    if (ov > 0)
                    {
                        rowSums[yo + bc] += ov * v;
                    }
                }
            }
        }

        var sums = new double[rows * columns];
        for (int y = 0; y < h; y++)
        {
            double a = y * sy;
            double b = (y + 1) * sy;
            for (int br = (int)a; br < rows && br < b; br++)
            {
                double ov = Math.Min(b, br + 1) - Math.Max(a, br);
                if (ov <= 0)
                {
                    continue;
                }

                for (int bc = 0; bc < columns; bc++)
                {
                    sums[(br * columns) + bc] += ov * rowSums[(y * columns) + bc];
                }
            }
        }

        return sums;
    }
}
