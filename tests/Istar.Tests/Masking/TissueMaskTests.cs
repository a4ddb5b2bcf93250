using System.Globalization;
using Istar.Masking;
using Istar.Pipeline;
using Istar.Tests.Support;

namespace Istar.Tests.Masking;

public class TissueMaskTests
{
    private readonly ITestOutputHelper _output;

    public TissueMaskTests(ITestOutputHelper output) => _output = output;

    [Theory]
    [InlineData("B/B4/BT10737_D2_HE.jpg", "B4")]
    [InlineData("C/C2/5714_HE_BT_C2.jpg", "C2")]
    public void Legacy_st_spots_fall_inside_the_default_mask_of_the_her2_sections(string image, string section)
    {
        string path = SharedData.Require("data", "her2st-legacy-st", "ST-imgs", image);
        string spots = SharedData.Require("data", "her2st-legacy-st", "ST-spotfiles", section + "_selection.tsv");
        var (blocks, scale) = BlockRgb.FromImageFile(path, 0.686);
        var result = TissueMask.Compute(blocks, null, new TissueMaskOptions(), SilentRunLog.Instance, TestContext.Current.CancellationToken);
        Dump(section, blocks, result);

        var points = File.ReadLines(spots).Skip(1).Select(l => l.Split('\t'))
            .Where(f => f[6] == "1")
            .Select(f => (X: double.Parse(f[4], CultureInfo.InvariantCulture), Y: double.Parse(f[5], CultureInfo.InvariantCulture)))
            .ToList();
        double inside = FractionInside(result, points, scale);

        _output.WriteLine($"{section}: {result.Method}, mask {result.ForegroundFraction:P1}, spots inside {inside:P1} of {points.Count}");
        Assert.True(inside >= 0.93, $"only {inside:P1} of the spots are in the mask");
        Assert.InRange(result.ForegroundFraction, 0.05, 0.8);
    }

    [Fact]
    public void Visium_mouse_brain_in_tissue_spots_are_inside_and_background_spots_outside()
    {
        string path = SharedData.Require("data", "visium-v1-adult-mouse-brain", "images", "V1_Adult_Mouse_Brain_image_small.tif");
        string positions = SharedData.Require("data", "visium-v1-adult-mouse-brain", "spaceranger-subset-section1", "outs", "spatial", "tissue_positions_list.csv");

        // The TIFF is the full-res image (0.615 µm/px) downsampled by 10.
        var (blocks, scale) = BlockRgb.FromImageFile(path, 6.15);
        var result = TissueMask.Compute(blocks, null, new TissueMaskOptions(), SilentRunLog.Instance, TestContext.Current.CancellationToken);
        Dump("mouse-brain", blocks, result);

        var rows = File.ReadLines(positions).Select(l => l.Split(',')).ToList();
        var inTissue = rows.Where(f => f[1] == "1").Select(Point).ToList();
        var outside = rows.Where(f => f[1] == "0").Select(Point).ToList();
        double tissueHit = FractionInside(result, inTissue, scale);
        double backgroundHit = FractionInside(result, outside, scale);

        _output.WriteLine($"mouse brain: {result.Method}, mask {result.ForegroundFraction:P1}, in-tissue spots inside {tissueHit:P1}, background spots inside {backgroundHit:P1}");
        Assert.True(tissueHit >= 0.9, $"in-tissue spots inside: {tissueHit:P1}");
        Assert.True(backgroundHit <= 0.2, $"background spots inside: {backgroundHit:P1}");
        Assert.InRange(result.ForegroundFraction, 0.1, 0.8);

        static (double X, double Y) Point(string[] f) =>
            (double.Parse(f[5], CultureInfo.InvariantCulture) / 10, double.Parse(f[4], CultureInfo.InvariantCulture) / 10);
    }

    [Fact]
    public void Xenium_lung_cells_fall_inside_the_default_mask_of_their_core()
    {
        string path = SharedData.Require("data", "xenium-lung-ncbi858-hest-subset", "image", "NCBI858.jpg");
        string cells = SharedData.Require("data", "xenium-lung-ncbi858-hest-subset", "h5ad", "NCBI858.h5ad");

        // The JPEG is downsampled (nuclei 3–4 px, about 2.5 µm/px; no size is stated), and its x_pixel/y_pixel are
        // swapped relative to the image (the data README): column = y_pixel, row = x_pixel.
        var (blocks, scale) = BlockRgb.FromImageFile(path, 2.5);
        var result = TissueMask.Compute(blocks, null, new TissueMaskOptions(), SilentRunLog.Instance, TestContext.Current.CancellationToken);
        Dump("xenium-lung", blocks, result);

        var obs = Istar.Formats.AnnData.AnnDataReader.Read(cells).Obs;
        double[] column = ((Istar.Formats.AnnData.NumericColumn)obs["y_pixel"]).ToDoubles();
        double[] row = ((Istar.Formats.AnnData.NumericColumn)obs["x_pixel"]).ToDoubles();
        var points = column.Zip(row, (x, y) => (X: x, Y: y)).ToList();
        double inside = FractionInside(result, points, scale);

        _output.WriteLine($"xenium lung: {result.Method}, mask {result.ForegroundFraction:P1}, cells inside {inside:P1} of {points.Count}");
        Assert.True(inside >= 0.95, $"only {inside:P1} of the cells are in the mask");
        Assert.InRange(result.ForegroundFraction, 0.1, 0.9);
        Assert.True(MeanGrey(blocks, result.Mask, true) < MeanGrey(blocks, result.Mask, false), "the mask picked the brighter side");
    }

    [Theory]
    [InlineData("cmu", 0.499, 0.2, 0.95)]
    [InlineData("mouse-crop", 0.615, 0.2, 1.0)]
    public void The_default_mask_covers_a_plausible_fraction_of_other_real_slides(string which, double mpp, double min, double max)
    {
        string path = which == "cmu"
            ? SharedData.Require("data", "cmu-1-small-region-svs", "small_HE.svs")
            : SharedData.Require("data", "visium-v1-adult-mouse-brain", "images", "test_img.jpg");
        var (blocks, _) = BlockRgb.FromImageFile(path, mpp);

        var result = TissueMask.Compute(blocks, null, new TissueMaskOptions(), SilentRunLog.Instance, TestContext.Current.CancellationToken);
        Dump(which, blocks, result);

        _output.WriteLine($"{which}: {result.Method}, mask {result.ForegroundFraction:P1}, threshold {result.SaturationThreshold:F3}, grid {blocks.Rows} x {blocks.Columns}");
        Assert.InRange(result.ForegroundFraction, min, max);
        Assert.True(MeanGrey(blocks, result.Mask, true) < MeanGrey(blocks, result.Mask, false) || result.ForegroundFraction > 0.95);
    }

    private static double FractionInside(TissueMaskResult result, IReadOnlyList<(double X, double Y)> points, double scale)
    {
        int inside = 0;
        foreach (var (x, y) in points)
        {
            int r = Math.Clamp((int)(y * scale), 0, result.Rows - 1);
            int c = Math.Clamp((int)(x * scale), 0, result.Columns - 1);
            inside += result.Mask[(r * result.Columns) + c] ? 1 : 0;
        }

        return inside / (double)points.Count;
    }

    private static double MeanGrey(BlockRgb blocks, bool[] mask, bool fg)
    {
        double s = 0;
        int n = 0;
        for (int i = 0; i < mask.Length; i++)
        {
            if (mask[i] == fg)
            {
                s += (blocks.Values[3 * i] + blocks.Values[(3 * i) + 1] + blocks.Values[(3 * i) + 2]) / 3;
                n++;
            }
        }

        return n == 0 ? double.NaN : s / n;
    }

    private static void Dump(string name, BlockRgb blocks, TissueMaskResult result)
    {
        string? dir = Environment.GetEnvironmentVariable("ISTAR_MASK_DEBUG");
        if (!string.IsNullOrEmpty(dir))
        {
            MaskOverlay.Write(Path.Combine(dir, name + ".png"), blocks, result.Mask, 1);
        }
    }
}

public class TissueMaskFallbackTests
{
    [Fact]
    public void A_blank_slide_falls_back_to_the_whole_grid_with_a_warning()
    {
        var blocks = Synthetic(40, 50, (_, _) => (0.95f, 0.95f, 0.95f));
        var log = new RecordingLog();

        var result = TissueMask.Compute(blocks, null, new TissueMaskOptions(), log, TestContext.Current.CancellationToken);

        Assert.Equal("all", result.Method);
        Assert.All(result.Mask, Assert.True);
        Assert.Contains(log.Warnings, w => w.Contains("--mask", StringComparison.Ordinal));
    }

    [Fact]
    public void Unsaturated_dark_tissue_is_found_by_the_darkness_fallback()
    {
        var blocks = Synthetic(40, 50, (r, c) => InDisk(r, c) ? (0.4f, 0.4f, 0.4f) : (0.95f, 0.95f, 0.95f));
        var log = new RecordingLog();

        var result = TissueMask.Compute(blocks, null, new TissueMaskOptions(), log, TestContext.Current.CancellationToken);

        Assert.Equal("darkness", result.Method);
        AssertDisk(result);
        Assert.NotEmpty(log.Warnings);
    }

    [Fact]
    public void Saturated_pink_tissue_on_glass_is_found_by_colour_with_holes_filled()
    {
        var blocks = Synthetic(40, 50, (r, c) =>
            InDisk(r, c) && !(r == 20 && c == 25) ? (0.85f, 0.45f, 0.7f) : (0.93f, 0.92f, 0.93f));
        var log = new RecordingLog();

        var result = TissueMask.Compute(blocks, null, new TissueMaskOptions(), log, TestContext.Current.CancellationToken);

        Assert.Equal("colour", result.Method);
        AssertDisk(result);
        Assert.Empty(log.Warnings);
    }

    [Fact]
    public void A_mask_brighter_than_its_background_is_inverted_with_a_warning()
    {
        // Pale saturated "background" around dark grey tissue: colour picks the wrong side.
        var blocks = Synthetic(40, 50, (r, c) => InDisk(r, c) ? (0.35f, 0.33f, 0.35f) : (0.95f, 0.75f, 0.9f));
        var log = new RecordingLog();

        var result = TissueMask.Compute(blocks, null, new TissueMaskOptions { FillHoles = false, ClosingRadius = 1 }, log, TestContext.Current.CancellationToken);

        Assert.True(result.Method.StartsWith("inverted", StringComparison.Ordinal), $"{result.Method} {result.ForegroundFraction}");
        AssertDisk(result);
        Assert.Contains(log.Warnings, w => w.Contains("invert", StringComparison.Ordinal));
    }

    private static bool InDisk(int r, int c) => ((r - 20) * (r - 20)) + ((c - 25) * (c - 25)) <= 100;

    private static void AssertDisk(TissueMaskResult result)
    {
        int wrong = 0;
        for (int r = 0; r < result.Rows; r++)
        {
            for (int c = 0; c < result.Columns; c++)
            {
                wrong += result.Mask[(r * result.Columns) + c] != InDisk(r, c) ? 1 : 0;
            }
        }

        Assert.True(wrong <= 25, $"{wrong} blocks differ from the disk");
    }

    private static BlockRgb Synthetic(int rows, int columns, Func<int, int, (float R, float G, float B)> colour)
    {
        var v = new float[rows * columns * 3];
        for (int r = 0; r < rows; r++)
        {
            for (int c = 0; c < columns; c++)
            {
                var (red, green, blue) = colour(r, c);
                int o = ((r * columns) + c) * 3;
                v[o] = red;
                v[o + 1] = green;
                v[o + 2] = blue;
            }
        }

        return new BlockRgb(rows, columns, v);
    }
}

internal sealed class RecordingLog : IRunLog
{
    public List<string> Warnings { get; } = [];

    public List<string> Infos { get; } = [];

    public void Info(string message) => Infos.Add(message);

    public void Warn(string message) => Warnings.Add(message);

    public IProgressTask Begin(string stage, string description, long total) => SilentRunLog.Instance.Begin(stage, description, total);
}

public class TissueMaskPenTests
{
    [Fact]
    public void Green_marker_pen_is_not_tissue()
    {
        int rows = 40;
        int columns = 50;
        var v = new float[rows * columns * 3];
        for (int r = 0; r < rows; r++)
        {
            for (int c = 0; c < columns; c++)
            {
                int o = ((r * columns) + c) * 3;
                (float R, float G, float B) colour = c < 20 ? (0.85f, 0.45f, 0.7f) : c >= 35 ? (0.3f, 0.7f, 0.4f) : (0.93f, 0.92f, 0.93f);
                (v[o], v[o + 1], v[o + 2]) = colour;
            }
        }

        var result = TissueMask.Compute(new BlockRgb(rows, columns, v), null, new TissueMaskOptions(), SilentRunLog.Instance, TestContext.Current.CancellationToken);

        for (int r = 0; r < rows; r++)
        {
            Assert.True(result.Mask[(r * columns) + 5]);
            Assert.False(result.Mask[(r * columns) + 45]);
        }
    }

    [Theory]
    [InlineData(0.3f, 0.7f, 0.4f, true)]
    [InlineData(0.2f, 0.7f, 0.7f, true)]
    [InlineData(0.85f, 0.45f, 0.7f, false)]
    [InlineData(0.45f, 0.35f, 0.7f, false)]
    public void Pen_hues_are_green_and_cyan_only(float r, float g, float b, bool pen)
    {
        float max = Math.Max(r, Math.Max(g, b));
        float min = Math.Min(r, Math.Min(g, b));

        Assert.Equal(pen, TissueMask.IsPenHue(r, g, b, max, min));
    }
}
