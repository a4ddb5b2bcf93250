using Istar.Input;

namespace Istar.Tests.Input;

public sealed class PixelSizeResolverTests
{
    private static readonly PixelSize Option = new(0.5, PixelSizeSource.Explicit, "--pixel-size");
    private static readonly PixelSize Metadata = new(0.503, PixelSizeSource.ImageMetadata, "metadata of slide.tif");
    private static readonly PixelSize Spot = new(0.6149, PixelSizeSource.SpotDiameter, "55 µm / 89.44 px");

    [Fact]
    public void An_explicit_value_beats_metadata_and_spot_diameter_whatever_the_order()
    {
        var report = new InputReport();

        var chosen = PixelSizeResolver.Resolve([Spot, Metadata, Option], report);

        Assert.Equal(Option, chosen);
    }

    [Fact]
    public void Metadata_beats_the_spot_diameter()
    {
        var chosen = PixelSizeResolver.Resolve([Spot, Metadata], new InputReport());

        Assert.Equal(Metadata, chosen);
    }

    [Fact]
    public void Sources_within_5_percent_agree_silently()
    {
        var report = new InputReport();

        PixelSizeResolver.Resolve([Option, Metadata], report);

        Assert.Empty(report.Problems);
    }

    [Fact]
    public void Sources_more_than_5_percent_apart_warn_with_both_values()
    {
        var report = new InputReport();

        PixelSizeResolver.Resolve([Option, Spot], report);

        var w = Assert.Single(report.Problems);
        Assert.Equal(ProblemSeverity.Warning, w.Severity);
        Assert.Equal("pixel size", w.Location);
        Assert.Contains("0.5 µm/px (Explicit: --pixel-size)", w.Problem, StringComparison.Ordinal);
        Assert.Contains("0.6149 µm/px (SpotDiameter: 55 µm / 89.44 px)", w.Problem, StringComparison.Ordinal);
        Assert.Contains("--pixel-size", w.Hint, StringComparison.Ordinal);
    }

    [Fact]
    public void No_candidate_gives_null()
    {
        Assert.Null(PixelSizeResolver.Resolve([], new InputReport()));
    }

    [Fact]
    public void The_spot_diameter_gives_55_um_over_the_visium_diameter_and_100_um_for_legacy_st()
    {
        Assert.Equal(55 / 89.44476048022638, PixelSizeResolver.FromSpotDiameter(SpotPlatform.Visium, 89.44476048022638, "x")!.Value.MicronsPerPixel, 12);
        Assert.Equal(0.5, PixelSizeResolver.FromSpotDiameter(SpotPlatform.LegacySt, 200, "x")!.Value.MicronsPerPixel, 12);
        Assert.Null(PixelSizeResolver.FromSpotDiameter(SpotPlatform.Other, 200, "x"));
    }
}
