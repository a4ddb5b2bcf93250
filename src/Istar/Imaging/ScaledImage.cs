namespace Istar.Imaging;

/// <summary>
/// The slide rescaled to the working pixel size (default 0.5 µm/px) and padded with white to multiples of 256 px:
/// the reference's <c>he.jpg</c>. Held as interleaved RGB bytes; a 0.5 µm/px section of a few cm² is a few GB,
/// so whole-slide users stream by strips through <see cref="ReadRows"/>.
/// </summary>
public sealed class ScaledImage
{
    private readonly byte[] _rgb;

    /// <summary>Wraps interleaved RGB bytes (Height × Width × 3).</summary>
    public ScaledImage(byte[] rgb, int width, int height, double micronsPerPixel, int contentWidth, int contentHeight)
    {
        ArgumentNullException.ThrowIfNull(rgb);
        if (rgb.LongLength != (long)width * height * 3)
        {
            throw new ArgumentException("rgb must hold width * height * 3 bytes", nameof(rgb));
        }

        _rgb = rgb;
        Width = width;
        Height = height;
        MicronsPerPixel = micronsPerPixel;
        ContentWidth = contentWidth;
        ContentHeight = contentHeight;
    }

    /// <summary>Padded width in pixels (multiple of 256 unless built otherwise).</summary>
    public int Width { get; }

    /// <summary>Padded height in pixels.</summary>
    public int Height { get; }

    /// <summary>Width of the rescaled slide before padding.</summary>
    public int ContentWidth { get; }

    /// <summary>Height of the rescaled slide before padding.</summary>
    public int ContentHeight { get; }

    /// <summary>Pixel size of this image in µm.</summary>
    public double MicronsPerPixel { get; }

    /// <summary>Block rows for 16-px blocks.</summary>
    public int BlockRows => Height / 16;

    /// <summary>Block columns for 16-px blocks.</summary>
    public int BlockColumns => Width / 16;

    /// <summary>All pixels, interleaved RGB, row-major.</summary>
    public ReadOnlySpan<byte> Pixels => _rgb;

    /// <summary>Rows [y, y + count) as interleaved RGB.</summary>
    public ReadOnlySpan<byte> ReadRows(int y, int count) => _rgb.AsSpan(y * Width * 3, count * Width * 3);
}
