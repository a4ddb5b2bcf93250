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
    public void A_few_extreme_blocks_do_not_push_the_rest_of_the_map_into_the_bottom_colours()
    {
        using var tmp = new TempDir();
        var map = Gradient(60, 100);
        map.Values[(59 * 100) + 99] = 1e6f;
        string path = tmp.File("outlier.png");
        GeneMapPlot.Write(path, map);
        using var image = Image.NewFromFile(path);

        // Without clipping the gradient (0–99) would sit in the bottom 0.01 % of a 0–1e6 range: all dark blue.
        var right = image.Getpoint((int)(image.Width * 0.7), (int)(image.Height * 0.7));
        Assert.True(right[0] > right[2], $"right should still be red-ish, got {string.Join(",", right)}");

        var (min, max, clipped) = GeneMapPlot.ColourRange(map.Values);
        Assert.True(clipped);
        Assert.Equal(0, min);
        Assert.InRange(max, 90, 99);
        Assert.Equal((1.0, 1.0, false), GeneMapPlot.ColourRange([1f, 1f, float.NaN, 1f]));
    }

    [Fact]
    public void A_mask_map_is_drawn_in_the_middle_of_the_colour_map_without_a_colour_bar()
    {
        using var tmp = new TempDir();
        var gradient = Gradient(60, 100);
        var mask = gradient with { Values = gradient.Values.Select(v => float.IsNaN(v) ? v : 1f).ToArray(), Unit = null };
        string withBar = tmp.File("bar.png"), withoutBar = tmp.File("mask.png");
        GeneMapPlot.Write(withBar, gradient);
        GeneMapPlot.Write(withoutBar, mask);
        using var image = Image.NewFromFile(withoutBar);
        double[] Pixel(Image i, double fx, double fy) => i.Getpoint((int)(i.Width * fx), (int)(i.Height * fy));

        // Constant values: turbo's middle (green dominates), not its dark-blue bottom.
        var tissue = Pixel(image, 0.3, 0.7);
        Assert.True(tissue[1] > tissue[0] && tissue[1] > tissue[2] && tissue[1] > 150, $"mask colour should be turbo's green middle, got {string.Join(",", tissue)}");

        // No colour bar: a vertical line through where the bar sits (right of the map) crosses the bar's many
        // colours in the gene map, and only the mask colour (and its anti-aliased edge) in the mask map.
        using var bar = Image.NewFromFile(withBar);
        static bool Coloured(double[] p) => p.Take(3).Max() - p.Take(3).Min() > 60;
        int BarColours(Image i) => Enumerable.Range(0, 100)
            .Select(k => Pixel(i, 0.92, 0.1 + (k * 0.008))).Where(Coloured)
            .Select(p => ((int)p[0] / 16, (int)p[1] / 16, (int)p[2] / 16)).Distinct().Count();
        Assert.True(BarColours(bar) > 10, "the gene map should have a colour bar on the right");
        Assert.True(BarColours(image) <= 3, $"the mask map should have no colour bar ({BarColours(image)} colours, gene map {BarColours(bar)})");
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

        // Each panel has its colour bar: some column of each half crosses a run of many colours. In the spot panel
        // nothing else could: a grey thumbnail and two spots.
        byte[] pixels = image.WriteToMemory<byte>();
        int bands = image.Bands;
        int MostColoursInAColumn(int x0, int x1) => Enumerable.Range(x0, x1 - x0).Max(x => Enumerable.Range(0, image.Height)
            .Select(y => pixels.AsSpan(((y * image.Width) + x) * bands, 3).ToArray()).Where(p => p.Max() - p.Min() > 60)
            .Select(p => (p[0] / 16, p[1] / 16, p[2] / 16)).Distinct().Count());
        Assert.True(MostColoursInAColumn(0, 400) > 10, "the measured-spot panel has no colour bar");
        Assert.True(MostColoursInAColumn(400, 800) > 10, "the map panel has no colour bar");
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
