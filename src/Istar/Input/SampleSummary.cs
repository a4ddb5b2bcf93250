namespace Istar.Input;

/// <summary>What a sample holds, in numbers: what <c>istar inspect</c> prints.</summary>
public sealed record SampleSummary(
    SampleFormat Format,
    SpotPlatform Platform,
    string SourcePath,
    int Spots,
    int InTissueSpots,
    int Genes,
    string? SlidePath,
    int? ImageWidth,
    int? ImageHeight,
    PixelSize PixelSize,
    double SpotDiameterPixels,
    double SpotDiameterMicrons,
    double TotalCounts,
    double MedianCountsPerSpot,
    double NonIntegerFraction)
{
    /// <summary>Summarises a sample; reads the slide header (not its pixels) for the image size.</summary>
    public static SampleSummary Of(SpotSample sample)
    {
        ArgumentNullException.ThrowIfNull(sample);
        var header = sample.SlidePath is null ? null : SlideProbe.TryRead(sample.SlidePath, new InputReport());
        var sums = sample.Counts.RowSums();
        Array.Sort(sums);
        double median = sums.Length == 0 ? 0 : sums.Length % 2 == 1 ? sums[sums.Length / 2] : (sums[(sums.Length / 2) - 1] + sums[sums.Length / 2]) / 2;
        var values = sample.Counts.Values;
        long fractional = values.LongCount(v => float.IsFinite(v) && v != MathF.Floor(v));
        return new SampleSummary(
            sample.Format,
            sample.Platform,
            sample.SourcePath,
            sample.SpotCount,
            sample.InTissueCount,
            sample.GeneCount,
            sample.SlidePath,
            header?.Width,
            header?.Height,
            sample.PixelSize,
            sample.SpotDiameterPixels,
            sample.SpotDiameterMicrons,
            sums.Sum(),
            median,
            values.Length == 0 ? 0 : (double)fractional / values.Length);
    }
}
