using Istar.Imaging;
using Istar.Input;
using NetVips;

namespace Istar.Masking;

/// <summary>
/// Mean colour of every block of a block grid, Rows × Columns × 3 interleaved, values in [0, 1]. The robust tissue
/// mask and the overlay work from this, so they need neither features nor the full-resolution image in memory.
/// </summary>
internal sealed class BlockRgb
{
    /// <summary>Wraps interleaved values (Rows × Columns × 3, in [0, 1]).</summary>
    public BlockRgb(int rows, int columns, float[] values)
    {
        ArgumentNullException.ThrowIfNull(values);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(rows);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(columns);
        if (values.LongLength != (long)rows * columns * 3)
        {
            throw new ArgumentException("values must hold rows * columns * 3 entries", nameof(values));
        }

        Rows = rows;
        Columns = columns;
        Values = values;
    }

    /// <summary>Block rows.</summary>
    public int Rows { get; }

    /// <summary>Block columns.</summary>
    public int Columns { get; }

    /// <summary>Interleaved RGB means in [0, 1].</summary>
    public float[] Values { get; }

    /// <summary>Number of blocks.</summary>
    public int Count => Rows * Columns;

    /// <summary>Block means of the 16 × 16-px blocks of a scaled image, streamed by block rows.</summary>
    public static BlockRgb FromScaledImage(ScaledImage image)
    {
        ArgumentNullException.ThrowIfNull(image);
        int rows = image.BlockRows;
        int columns = image.BlockColumns;
        var values = new float[rows * columns * 3];
        var sums = new long[columns * 3];
        int width = image.Width;
        for (int br = 0; br < rows; br++)
        {
            Array.Clear(sums);
            ReadOnlySpan<byte> strip = image.ReadRows(br * 16, 16);
            for (int y = 0; y < 16; y++)
            {
                var line = strip.Slice(y * width * 3, columns * 16 * 3);
                for (int x = 0; x < columns * 16; x++)
                {
                    int o = (x >> 4) * 3;
                    sums[o] += line[3 * x];
                    sums[o + 1] += line[(3 * x) + 1];
                    sums[o + 2] += line[(3 * x) + 2];
                }
            }

            for (int i = 0; i < columns * 3; i++)
            {
                values[(br * columns * 3) + i] = (float)(sums[i] / (256.0 * 255.0));
            }
        }

        return new BlockRgb(rows, columns, values);
    }

    /// <summary>
    /// Block means of an image file at <paramref name="blockMicrons"/> per block, from a libvips thumbnail (shrink-on-load
    /// for JPEG, so a 10k × 10k JPEG takes a fraction of a second). Returns the factor from file pixels to blocks.
    /// </summary>
    public static (BlockRgb Blocks, double BlocksPerPixel) FromImageFile(string path, double micronsPerPixel, double blockMicrons = 8)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (!File.Exists(path))
        {
            throw new InputException(path, "the image file does not exist.");
        }

        try
        {
            int width;
            int height;
            using (var header = Image.NewFromFile(path))
            {
                width = header.Width;
                height = header.Height;
            }

            double scale = micronsPerPixel / blockMicrons;
            int targetWidth = Math.Max(1, (int)Math.Round(width * scale));
            int targetHeight = Math.Max(1, (int)Math.Round(height * scale));
            using var thumb = Image.Thumbnail(path, targetWidth, height: targetHeight, size: Enums.Size.Force);
            using var rgb = Slide.ToRgb8(thumb);
            byte[] bytes = rgb.WriteToMemory<byte>();
            var values = new float[bytes.Length];
            for (int i = 0; i < bytes.Length; i++)
            {
                values[i] = bytes[i] / 255f;
            }

            return (new BlockRgb(rgb.Height, rgb.Width, values), (double)rgb.Width / width);
        }
        catch (VipsException e)
        {
            throw new InputException(path, "cannot be read as an image: " + e.Message.Split('\n')[0], "Pass a TIFF, SVS, JPEG or PNG image.");
        }
    }
}
