using Istar.Input;

namespace Istar.Imaging;

/// <summary>
/// The mapping between full-resolution slide pixels and the scaled image (spec §9): <c>scale = raw µm/px ÷ target
/// µm/px</c>; locations and radii are multiplied by it and rounded half to even, as <c>rescale.py --locs --radius</c>
/// does. The padding (bottom/right only) does not move coordinates.
/// </summary>
public readonly record struct PixelScale(double RawMicronsPerPixel, double TargetMicronsPerPixel = 0.5)
{
    /// <summary>The factor applied to full-resolution coordinates.</summary>
    public double Factor => RawMicronsPerPixel / TargetMicronsPerPixel;

    /// <summary>The exact (unrounded) scaled position of a full-resolution point: (column, row).</summary>
    public (double X, double Y) ToScaled(FullResPoint point) => (point.X * Factor, point.Y * Factor);

    /// <summary>The reference's integer scaled-image pixel of a full-resolution point: round-half-even of x·scale, y·scale.</summary>
    public (long X, long Y) ToScaledPixel(FullResPoint point)
    {
        double f = Factor;
        return ((long)Math.Round(point.X * f, MidpointRounding.ToEven), (long)Math.Round(point.Y * f, MidpointRounding.ToEven));
    }

    /// <summary>The reference's integer radius in scaled pixels: round-half-even of radius·scale.</summary>
    public long ToScaledRadius(double radiusRaw) => (long)Math.Round(radiusRaw * Factor, MidpointRounding.ToEven);

    /// <summary>Maps a scaled-image position back to full resolution.</summary>
    public FullResPoint ToFullRes(double x, double y) => new(x / Factor, y / Factor);

    /// <summary>The factor that maps full-resolution pixels onto a thumbnail of <paramref name="thumbnailWidth"/> of a slide <paramref name="slideWidth"/> wide.</summary>
    public static double ThumbnailFactor(int slideWidth, int thumbnailWidth) => (double)thumbnailWidth / slideWidth;
}
