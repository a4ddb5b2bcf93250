using System.Globalization;
using Istar.Imaging;
using Istar.Input;
using Istar.Tests.Support;

namespace Istar.Tests.Imaging;

public class PixelScaleTests
{
    [Theory]
    [InlineData("locsedge")]
    [InlineData("genes")]
    public void Scaled_locations_and_radius_equal_the_reference_rescale_outputs(string prefix)
    {
        string Fx(string name) => SharedData.Require("fixtures", "hipt", $"{prefix}_{name}");
        double raw = ReadNumber(SharedData.Require("fixtures", "hipt", "genes_pixel-size-raw.txt"));
        double target = ReadNumber(SharedData.Require("fixtures", "hipt", "genes_pixel-size.txt"));
        var scale = new PixelScale(raw, target);
        var input = ReadLocs(Fx("locs-raw.tsv"));
        var expected = ReadLocs(Fx("locs.tsv"));

        Assert.Equal(expected.Count, input.Count);
        for (int i = 0; i < input.Count; i++)
        {
            var (x, y) = scale.ToScaledPixel(new FullResPoint(input[i].X, input[i].Y));
            Assert.Equal(expected[i].Id, input[i].Id);
            Assert.Equal(((long)expected[i].X, (long)expected[i].Y), (x, y));
        }

        Assert.Equal((long)ReadNumber(Fx("radius.txt")), scale.ToScaledRadius(ReadNumber(Fx("radius-raw.txt"))));
    }

    [Fact]
    public void Ties_round_half_to_even_and_the_mapping_inverts()
    {
        var scale = new PixelScale(0.3075, 0.5);

        Assert.Equal((62L, 184L), scale.ToScaledPixel(new FullResPoint(100, 300)));
        Assert.Equal(56L, scale.ToScaledRadius(90.2439024390244));
        var back = scale.ToFullRes(61.5, 184.5);
        Assert.Equal(100, back.X, 9);
        Assert.Equal(300, back.Y, 9);
    }

    private static double ReadNumber(string path) =>
        double.Parse(File.ReadLines(path).First().TrimEnd(), CultureInfo.InvariantCulture);

    private static List<(string Id, double X, double Y)> ReadLocs(string path)
    {
        var lines = File.ReadAllLines(path);
        var header = lines[0].Split('\t');
        int xi = Array.IndexOf(header, "x"), yi = Array.IndexOf(header, "y");
        var list = new List<(string, double, double)>();
        foreach (string line in lines.Skip(1).Where(l => l.Length > 0))
        {
            var f = line.Split('\t');
            list.Add((f[0], double.Parse(f[xi], CultureInfo.InvariantCulture), double.Parse(f[yi], CultureInfo.InvariantCulture)));
        }

        return list;
    }
}
