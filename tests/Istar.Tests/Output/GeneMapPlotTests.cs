using Istar.Input;
using Istar.Output.Maps;
using Istar.Tests.Support;
using NetVips;

namespace Istar.Tests.Output;

public class GeneMapPlotTests
{
    private static BlockMap Gradient(int rows, int columns)
    {
        var values = new float[rows * columns];
        for (int r = 0; r < rows; r++)
        {
            for (int c = 0; c < columns; c++)
            {
                // Background (NaN) in the top-left quarter; a left-to-right gradient elsewhere.
                values[(r * columns) + c] = r < rows / 2 && c < columns / 2 ? float.NaN : c;
            }
        }

        return new BlockMap("GENE1", values, rows, columns, 8);
    }

    [Fact]
    public void A_gene_map_is_a_png_whose_background_is_white_and_whose_gradient_runs_blue_to_red()
    {
        using var tmp = new TempDir();
        string path = tmp.File("GENE1.png");
        GeneMapPlot.Write(path, Gradient(60, 100));
        using var image = Image.NewFromFile(path);
        Assert.True(image.Width >= 600 && image.Height >= 250);

        // Sample the plotted area along its middle row in the lower half: turbo goes from blue (left) to red (right).
        double[] Pixel(double fx, double fy) => image.Getpoint((int)(image.Width * fx), (int)(image.Height * fy));
        var left = Pixel(0.2, 0.7);
        var right = Pixel(0.7, 0.7);
        var background = Pixel(0.2, 0.3);
        Assert.True(left[2] > left[0], $"left should be blue-ish, got {string.Join(",", left)}");
        Assert.True(right[0] > right[2], $"right should be red-ish, got {string.Join(",", right)}");
        Assert.True(background.Take(3).All(v => v > 240), $"background should be white, got {string.Join(",", background)}");
    }

    [Fact]
    public void Spot_map_and_gene_map_are_drawn_side_by_side()
    {
        using var tmp = new TempDir();
        var thumb = Enumerable.Repeat((byte)230, 50 * 80 * 3).ToArray();
        var spots = new SpotMap("measured", thumb, 80, 50, 10, [new FullResPoint(100, 100), new FullResPoint(600, 300)], 1, 55, [1, 5]);
        string path = tmp.File("pair.png");
        GeneMapPlot.Write(path, Gradient(50, 80), spots, panelWidth: 400);
        using var image = Image.NewFromFile(path);
        Assert.Equal(800, image.Width);
    }

    [Theory]
    [InlineData(800, 100)]
    [InlineData(5000, 1000)]
    [InlineData(300, 50)]
    public void Scale_bars_have_round_lengths(double extent, double expected)
    {
        Assert.Equal(expected, GeneMapPlot.NiceLength(extent));
    }
}
