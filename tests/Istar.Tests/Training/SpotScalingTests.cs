using System.Globalization;
using Istar.Input;
using Istar.Tests.Support;
using Istar.Training;

namespace Istar.Tests.Training;

public class SpotScalingTests
{
    private static double ReadNumber(string file) =>
        double.Parse(File.ReadAllText(SharedData.Require("fixtures", "hipt", file)).Trim(), CultureInfo.InvariantCulture);

    [Theory]
    [InlineData("genes_")]
    [InlineData("locsedge_")]
    public void Scaled_locations_and_radius_match_the_reference_exactly(string prefix)
    {
        double scale = SpotScaling.Scale(0.3075, 0.5);
        var raw = FixtureTable.Read(SharedData.Require("fixtures", "hipt", prefix + "locs-raw.tsv"));
        var expected = FixtureTable.Read(SharedData.Require("fixtures", "hipt", prefix + "locs.tsv"));
        var centres = raw.Column("x").Zip(raw.Column("y"), (x, y) => new FullResPoint(x, y)).ToList();
        var scaled = SpotScaling.ScaleLocations(centres, scale);
        Assert.Equal(expected.RowNames, raw.RowNames);
        Assert.Equal(expected.Column("x").Select(v => (long)v), scaled.Select(s => s.X));
        Assert.Equal(expected.Column("y").Select(v => (long)v), scaled.Select(s => s.Y));
        Assert.Equal((long)ReadNumber(prefix + "radius.txt"), SpotScaling.ScaleRadius(ReadNumber(prefix + "radius-raw.txt"), scale));
    }

    [Fact]
    public void The_fixture_pixel_sizes_give_the_scale_used()
    {
        Assert.Equal(SpotScaling.Scale(0.3075, 0.5), SpotScaling.Scale(ReadNumber("genes_pixel-size-raw.txt"), ReadNumber("genes_pixel-size.txt")));
    }

    [Fact]
    public void Rounding_is_half_to_even()
    {
        Assert.Equal(2, SpotScaling.RoundHalfEven(2.5));
        Assert.Equal(4, SpotScaling.RoundHalfEven(3.5));
        Assert.Equal(-2, SpotScaling.RoundHalfEven(-2.5));
        Assert.Equal(56, SpotScaling.ScaleRadius(90.2439024390244, 0.615));
    }
}
