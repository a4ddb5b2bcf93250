using Istar.Input;

namespace Istar.Training;

/// <summary>A spot location on the working (rescaled) image, in whole pixels: X = column, Y = row.</summary>
internal readonly record struct ScaledLocation(long X, long Y);

/// <summary>
/// Spot locations and radius on the working image (spec §9, <c>rescale.py --locs --radius</c>): multiplied by
/// <c>scale = rawMicronsPerPixel / targetMicronsPerPixel</c> in float64 and rounded half to even, exactly as NumPy.
/// </summary>
internal static class SpotScaling
{
    /// <summary>The reference's scale factor (<c>pixel_size_raw / pixel_size</c>).</summary>
    public static double Scale(double rawMicronsPerPixel, double targetMicronsPerPixel)
    {
        if (!(rawMicronsPerPixel > 0) || !(targetMicronsPerPixel > 0) || double.IsInfinity(rawMicronsPerPixel) || double.IsInfinity(targetMicronsPerPixel))
        {
            throw new ArgumentOutOfRangeException(nameof(rawMicronsPerPixel), "pixel sizes must be positive and finite");
        }

        return rawMicronsPerPixel / targetMicronsPerPixel;
    }

    /// <summary>NumPy <c>round</c> then <c>astype(int)</c>: half to even.</summary>
    public static long RoundHalfEven(double value)
    {
        if (!double.IsFinite(value))
        {
            throw new ArgumentOutOfRangeException(nameof(value), "cannot round a non-finite value");
        }

        return (long)Math.Round(value, MidpointRounding.ToEven);
    }

    /// <summary>Each centre times <paramref name="scale"/>, rounded half to even (<c>locs.tsv</c>).</summary>
    public static ScaledLocation[] ScaleLocations(IReadOnlyList<FullResPoint> centres, double scale)
    {
        ArgumentNullException.ThrowIfNull(centres);
        var result = new ScaledLocation[centres.Count];
        for (int i = 0; i < result.Length; i++)
        {
            result[i] = new ScaledLocation(RoundHalfEven(centres[i].X * scale), RoundHalfEven(centres[i].Y * scale));
        }

        return result;
    }

    /// <summary>The radius times <paramref name="scale"/>, rounded half to even (<c>radius.txt</c>).</summary>
    public static long ScaleRadius(double radiusRaw, double scale) => RoundHalfEven(radiusRaw * scale);
}
