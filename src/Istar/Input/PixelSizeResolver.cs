using System.Globalization;

namespace Istar.Input;

/// <summary>
/// Picks the pixel size from the sources available, strongest first (explicit &gt; image metadata &gt; spot
/// diameter &gt; assumed), and warns when two sources disagree by more than <see cref="Tolerance"/>.
/// </summary>
public static class PixelSizeResolver
{
    /// <summary>Relative disagreement above which a warning names both values.</summary>
    public const double Tolerance = 0.05;

    /// <summary>Physical spot diameter in µm of a platform, or null when unknown.</summary>
    public static double? SpotDiameterMicrons(SpotPlatform platform) => platform switch
    {
        SpotPlatform.Visium => 55,
        SpotPlatform.LegacySt => 100,
        _ => null,
    };

    /// <summary>The pixel size implied by a spot's diameter in pixels and the platform's spot size in µm.</summary>
    public static PixelSize? FromSpotDiameter(SpotPlatform platform, double diameterPixels, string where)
    {
        double? microns = SpotDiameterMicrons(platform);
        if (microns is null || !double.IsFinite(diameterPixels) || diameterPixels <= 0)
        {
            return null;
        }

        return new PixelSize(
            microns.Value / diameterPixels,
            PixelSizeSource.SpotDiameter,
            string.Create(CultureInfo.InvariantCulture, $"{microns.Value:0} µm {platform} spot / {diameterPixels:0.##} px from {where}"));
    }

    /// <summary>
    /// Chooses the strongest candidate (ties: the first given) and adds a warning to <paramref name="report"/> for
    /// every other candidate that differs from it by more than 5 %. Returns null when there is no candidate.
    /// </summary>
    public static PixelSize? Resolve(IEnumerable<PixelSize> candidates, InputReport report)
    {
        ArgumentNullException.ThrowIfNull(candidates);
        ArgumentNullException.ThrowIfNull(report);
        var usable = candidates.Where(c => double.IsFinite(c.MicronsPerPixel) && c.MicronsPerPixel > 0).ToList();
        if (usable.Count == 0)
        {
            return null;
        }

        // OrderBy is stable, so among equal sources the first given (the command-line option) wins.
        var chosen = usable.OrderBy(c => (int)c.Source).First();
        foreach (var other in usable.Where(c => c != chosen))
        {
            if (Disagree(chosen.MicronsPerPixel, other.MicronsPerPixel))
            {
                report.Warn(
                    "pixel size",
                    string.Create(CultureInfo.InvariantCulture, $"expected the sources to agree within 5 %, found {chosen} and {other} ({RelativeDifference(chosen.MicronsPerPixel, other.MicronsPerPixel):P0} apart)."),
                    $"Using {chosen.MicronsPerPixel.ToString("0.####", CultureInfo.InvariantCulture)} µm/px ({chosen.Source}); if that is wrong, pass the right value with --pixel-size.");
            }
        }

        return chosen;
    }

    /// <summary>True when two pixel sizes differ by more than 5 % of the smaller.</summary>
    public static bool Disagree(double a, double b) => RelativeDifference(a, b) > Tolerance;

    private static double RelativeDifference(double a, double b) => Math.Abs(a - b) / Math.Min(a, b);
}
