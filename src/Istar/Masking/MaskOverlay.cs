using NetVips;

namespace Istar.Masking;

/// <summary>
/// A PNG for checking a tissue mask by eye: the slide thumbnail with the mask tinted green and its outline drawn in
/// solid colour. The mask (block grid) is mapped onto the thumbnail by nearest neighbour.
/// </summary>
internal static class MaskOverlay
{
    private static readonly byte[] Tint = [0, 200, 70];
    private static readonly byte[] Outline = [255, 40, 200];

    /// <summary>Writes the overlay of a Rows × Columns block mask onto an interleaved RGB thumbnail of any size.</summary>
    /// <param name="path">PNG to write.</param>
    /// <param name="rgb">Thumbnail pixels, interleaved RGB, <paramref name="height"/> × <paramref name="width"/>.</param>
    /// <param name="width">Thumbnail width.</param>
    /// <param name="height">Thumbnail height.</param>
    /// <param name="mask">Row-major block mask.</param>
    /// <param name="rows">Block rows of the mask.</param>
    /// <param name="columns">Block columns of the mask.</param>
    /// <param name="tintOpacity">Opacity of the tint inside the mask (0 = outline only).</param>
    public static void Write(string path, ReadOnlySpan<byte> rgb, int width, int height, ReadOnlySpan<bool> mask, int rows, int columns, double tintOpacity = 0.3)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (rgb.Length != width * height * 3)
        {
            throw new ArgumentException("rgb must hold width * height * 3 bytes", nameof(rgb));
        }

        if (mask.Length != rows * columns)
        {
            throw new ArgumentException("mask must hold rows * columns values", nameof(mask));
        }

        // Mask at thumbnail resolution (nearest block).
        var m = new bool[width * height];
        for (int y = 0; y < height; y++)
        {
            int br = Math.Min(rows - 1, (int)((y + 0.5) * rows / height));
            for (int x = 0; x < width; x++)
            {
                int bc = Math.Min(columns - 1, (int)((x + 0.5) * columns / width));
                m[(y * width) + x] = mask[(br * columns) + bc];
            }
        }

        var output = rgb.ToArray();
        int thickness = Math.Max(1, Math.Min(width, height) / 300);
        for (int y = 0; y < height; y++)
        {
            for (int x = 0; x < width; x++)
            {
                int i = (y * width) + x;
                if (!m[i])
                {
                    continue;
                }

                bool edge = false;
                for (int d = 1; d <= thickness && !edge; d++)
                {
                    edge = Outside(m, width, height, x - d, y) || Outside(m, width, height, x + d, y)
                        || Outside(m, width, height, x, y - d) || Outside(m, width, height, x, y + d);
                }

                for (int ch = 0; ch < 3; ch++)
                {
                    output[(3 * i) + ch] = edge
                        ? Outline[ch]
                        : (byte)Math.Round(((1 - tintOpacity) * output[(3 * i) + ch]) + (tintOpacity * Tint[ch]));
                }
            }
        }

        string? dir = Path.GetDirectoryName(Path.GetFullPath(path));
        if (dir is not null)
        {
            Directory.CreateDirectory(dir);
        }

        using var image = Image.NewFromMemory(output, width, height, 3, Enums.BandFormat.Uchar);
        image.Pngsave(path);
    }

    /// <summary>Writes the overlay on the block colours themselves, each block drawn as <paramref name="scale"/> × <paramref name="scale"/> pixels.</summary>
    public static void Write(string path, BlockRgb blocks, ReadOnlySpan<bool> mask, int scale = 2, double tintOpacity = 0.3)
    {
        ArgumentNullException.ThrowIfNull(blocks);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(scale);
        int width = blocks.Columns * scale;
        int height = blocks.Rows * scale;
        var rgb = new byte[width * height * 3];
        var v = blocks.Values;
        for (int y = 0; y < height; y++)
        {
            int br = y / scale;
            for (int x = 0; x < width; x++)
            {
                int b = (br * blocks.Columns) + (x / scale);
                for (int ch = 0; ch < 3; ch++)
                {
                    rgb[(((y * width) + x) * 3) + ch] = (byte)Math.Clamp(Math.Round(v[(3 * b) + ch] * 255), 0, 255);
                }
            }
        }

        Write(path, rgb, width, height, mask, blocks.Rows, blocks.Columns, tintOpacity);
    }

    private static bool Outside(bool[] m, int width, int height, int x, int y) =>
        x < 0 || y < 0 || x >= width || y >= height || !m[(y * width) + x];
}
