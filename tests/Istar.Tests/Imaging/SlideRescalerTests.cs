using System.Diagnostics;
using Istar.Formats.Npy;
using Istar.Imaging;
using Istar.Tests.Support;
using NetVips;

namespace Istar.Tests.Imaging;

[Collection(nameof(MemoryMeasurement))]
public class SlideRescalerTests
{
    private readonly ITestOutputHelper _output;

    public SlideRescalerTests(ITestOutputHelper output) => _output = output;

    [Fact]
    public void Faithful_rescale_of_a_slide_file_gives_the_fixture_pixels_padded_white_to_256()
    {
        using var slide = Slide.Open(SharedData.Require("fixtures", "hipt", "rescale_in.png"));
        var expected = NpyArray.Read(SharedData.Require("fixtures", "hipt", "rescale_out_uint8.npy"));

        using var image = SlideRescaler.Rescale(slide, 0.3075, 0.5, RescaleMethod.Faithful, cancellation: TestContext.Current.CancellationToken);

        Assert.Equal((158, 125), (image.ContentWidth, image.ContentHeight));
        Assert.Equal((256, 256), (image.Width, image.Height));
        Assert.Equal(0.5, image.MicronsPerPixel);
        int differ = 0;
        for (int y = 0; y < image.Height; y++)
        {
            var row = image.ReadRows(y, 1);
            for (int x = 0; x < image.Width * 3; x++)
            {
                int want = y < 125 && x < 158 * 3 ? (int)expected.Values[(y * 158 * 3) + x] : 255;
                if (row[x] != want)
                {
                    differ++;
                }
            }
        }

        Assert.Equal(0, differ);
    }

    [Theory]
    [InlineData(300, 700, 0.3)]
    [InlineData(257, 203, 0.615)]
    [InlineData(131, 517, 0.21)]
    [InlineData(3, 2, 0.1)]
    [InlineData(1, 9, 0.2)]
    [InlineData(90, 70, 1.372)]
    [InlineData(40, 200, 0.97)]
    [InlineData(4500, 37, 0.3)]
    [InlineData(4500, 30, 1.2)]
    public void Streamed_faithful_rescale_equals_a_whole_image_reference_implementation(int width, int height, double scale)
    {
        var rng = new Random(width * 7919 + height);
        var rgb = new byte[width * height * 3];
        rng.NextBytes(rgb);

        float[] streamed = FaithfulRescaler.RescaleToFloat(rgb, width, height, scale, out int ow, out int oh, parallelism: 3);
        float[] single = FaithfulRescaler.RescaleToFloat(rgb, width, height, scale, out _, out _, parallelism: 1);
        Assert.Equal(single, streamed);
        float[] naive = NaiveSkimageRescale(rgb, width, height, scale, out int nw, out int nh);

        Assert.Equal((nw, nh), (ow, oh));
        Assert.Equal(naive, streamed);
    }

    [Theory]
    [InlineData(0.3)]
    [InlineData(1.7)]
    public void Clipping_to_the_input_range_never_binds_so_streamed_runs_may_clip_to_0_255(double scale)
    {
        const int w = 211, h = 173;
        var rng = new Random(5);
        var rgb = new byte[w * h * 3];
        for (int i = 0; i < rgb.Length; i++)
        {
            // Flat runs at the extremes (where rounding could overshoot) and noise in between.
            rgb[i] = (i / 300 % 3) switch { 0 => 37, 1 => 200, _ => (byte)rng.Next(37, 201) };
        }

        var (ow, oh) = FaithfulRescaler.OutputSize(w, h, scale);
        var tight = new float[ow * oh * 3];
        var loose = new float[ow * oh * 3];
        FaithfulRescaler.Run(new MemoryRowSource(rgb, w, h), ow, oh, 37f, 200f, (o, row) => row.CopyTo(tight.AsSpan(o * ow * 3)), TestContext.Current.CancellationToken);
        FaithfulRescaler.Run(new MemoryRowSource(rgb, w, h), ow, oh, 0f, 255f, (o, row) => row.CopyTo(loose.AsSpan(o * ow * 3)), TestContext.Current.CancellationToken);

        Assert.Equal(tight, loose);
    }

    [Fact]
    public void Fast_and_faithful_rescales_of_the_svs_agree_in_size_and_closely_in_value()
    {
        using var slide = Slide.Open(SharedData.Require("data", "cmu-1-small-region-svs", "small_HE.svs"));
        var sw = Stopwatch.StartNew();
        using var fast = SlideRescaler.Rescale(slide, 0.499, 0.5, RescaleMethod.Fast, cancellation: TestContext.Current.CancellationToken);
        long fastMs = sw.ElapsedMilliseconds;
        sw.Restart();
        using var faithful = SlideRescaler.Rescale(slide, 0.499, 0.5, RescaleMethod.Faithful, cancellation: TestContext.Current.CancellationToken);
        long faithfulMs = sw.ElapsedMilliseconds;

        Assert.Equal((2216, 2961), (fast.ContentWidth, fast.ContentHeight));
        Assert.Equal((faithful.Width, faithful.Height), (fast.Width, fast.Height));
        Assert.Equal((2304, 3072), (fast.Width, fast.Height));
        double sum = 0;
        var a = fast.Pixels;
        var b = faithful.Pixels;
        for (int i = 0; i < a.Length; i++)
        {
            sum += Math.Abs(a[i] - b[i]);
        }

        double mean = sum / a.Length;
        _output.WriteLine($"fast {fastMs} ms, faithful {faithfulMs} ms, mean abs difference {mean:0.###}");
        Assert.True(mean < 3, $"mean abs difference {mean}");
    }

    [Fact]
    public void Faithful_rescale_of_a_tiled_tiff_streams_without_holding_the_slide_as_floats()
    {
        using var dir = new TempDir();
        string path = dir.File("slide.tif");
        const int w = 3000, h = 2000;
        using (var img = Image.NewFromMemory(SlideTests.Gradient(w, h), w, h, 3, Enums.BandFormat.Uchar))
        {
            img.Tiffsave(path, compression: Enums.ForeignTiffCompression.Jpeg, tile: true, pyramid: true, bigtiff: true);
        }

        using var slide = Slide.Open(path);
        long before = GC.GetTotalAllocatedBytes(precise: true);
        using var image = SlideRescaler.Rescale(slide, 0.25, 0.5, RescaleMethod.Faithful, cancellation: TestContext.Current.CancellationToken);
        long allocated = GC.GetTotalAllocatedBytes(precise: true) - before;

        Assert.Equal((1500, 1000, 1536, 1024), (image.ContentWidth, image.ContentHeight, image.Width, image.Height));
        long wholeSlideAsFloats = (long)w * h * 3 * sizeof(float);
        _output.WriteLine($"managed allocations {allocated / 1e6:0.0} MB (whole slide as float32 would be {wholeSlideAsFloats / 1e6:0} MB)");
        Assert.True(allocated < wholeSlideAsFloats / 2, $"allocated {allocated}");
    }

    [Fact]
    public void The_her2_jpeg_rescales_to_half_micron_streamed_into_a_file_backed_image()
    {
        string path = SharedData.Require("data", "her2st-legacy-st", "ST-imgs", "B", "B4", "BT10737_D2_HE.jpg");
        using var slide = Slide.Open(path);
        Assert.Equal((9272, 9923), (slide.Width, slide.Height));

        long allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
        var sw = Stopwatch.StartNew();
        using var image = SlideRescaler.Rescale(slide, 0.686, 0.5, RescaleMethod.Fast, cancellation: TestContext.Current.CancellationToken);
        long ms = sw.ElapsedMilliseconds;
        long allocated = GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore;
        long peak = Process.GetCurrentProcess().PeakWorkingSet64;

        _output.WriteLine($"{image.ContentWidth}x{image.ContentHeight} → {image.Width}x{image.Height} in {ms} ms, managed allocations {allocated / 1e6:0} MB, peak working set {peak / 1e6:0} MB, file-backed {image.IsFileBacked}");
        Assert.Equal((12721, 13614), (image.ContentWidth, image.ContentHeight));
        Assert.Equal((12800, 13824), (image.Width, image.Height));
        Assert.True(image.IsFileBacked);
        Assert.True(allocated < 200_000_000, $"managed allocations {allocated}");
        var lastRow = image.ReadRows(image.Height - 1, 1);
        Assert.True(lastRow.IndexOfAnyExcept((byte)255) < 0);
    }

    /// <summary>
    /// skimage rescale written the obvious way: whole-image float32 arrays, gaussian_filter axis by axis, then zoom.
    /// Independent of the streaming window logic.
    /// </summary>
    internal static float[] NaiveSkimageRescale(byte[] rgb, int w, int h, double scale, out int ow, out int oh)
    {
        ow = Math.Max(1, (int)Math.Round(scale * w));
        oh = Math.Max(1, (int)Math.Round(scale * h));
        double fy = (double)h / oh, fx = (double)w / ow;
        var img = new float[rgb.Length];
        for (int i = 0; i < rgb.Length; i++)
        {
            img[i] = rgb[i];
        }

        if (oh < h || ow < w)
        {
            double sy = Math.Max(0, (fy - 1) / 2), sx = Math.Max(0, (fx - 1) / 2);
            if (sy > 1e-15)
            {
                img = Filter(img, w, h, FaithfulRescaler.HalfKernel(sy), vertical: true);
            }

            if (sx > 1e-15)
            {
                img = Filter(img, w, h, FaithfulRescaler.HalfKernel(sx), vertical: false);
            }
        }

        float min = rgb.Min(), max = rgb.Max();
        var result = new float[ow * oh * 3];
        for (int oy = 0; oy < oh; oy++)
        {
            var (r0, r1, wr0, wr1) = FaithfulRescaler.LinearTap(oy, fy, h);
            for (int ox = 0; ox < ow; ox++)
            {
                var (c0, c1, wc0, wc1) = FaithfulRescaler.LinearTap(ox, fx, w);
                for (int c = 0; c < 3; c++)
                {
                    double t = 0;
                    t += (double)img[(r0 * w + c0) * 3 + c] * wr0 * wc0;
                    t += (double)img[(r0 * w + c1) * 3 + c] * wr0 * wc1;
                    t += (double)img[(r1 * w + c0) * 3 + c] * wr1 * wc0;
                    t += (double)img[(r1 * w + c1) * 3 + c] * wr1 * wc1;
                    result[(oy * ow + ox) * 3 + c] = Math.Clamp((float)t, min, max);
                }
            }
        }

        return result;
    }

    private static float[] Filter(float[] img, int w, int h, double[] k, bool vertical)
    {
        var dst = new float[img.Length];
        int len = vertical ? h : w;
        for (int y = 0; y < h; y++)
        {
            for (int x = 0; x < w; x++)
            {
                for (int c = 0; c < 3; c++)
                {
                    double At(int d)
                    {
                        int p = FaithfulRescaler.MirrorIndex((vertical ? y : x) + (long)d, len);
                        return vertical ? img[(p * w + x) * 3 + c] : img[(y * w + p) * 3 + c];
                    }

                    double acc = At(0) * k[0];
                    for (int j = k.Length - 1; j >= 1; j--)
                    {
                        acc += (At(-j) + At(j)) * k[j];
                    }

                    dst[(y * w + x) * 3 + c] = (float)acc;
                }
            }
        }

        return dst;
    }
}

public class FastRescaleTests
{
    private readonly ITestOutputHelper _output;

    public FastRescaleTests(ITestOutputHelper output) => _output = output;

    [Theory]
    [InlineData("rescale_in.png", "rescale_out_uint8.npy", 0.3075, 1.5)]
    [InlineData("rescale_up_in.png", "rescale_up_out_uint8.npy", 0.686, 1.0)]
    public void Fast_rescale_has_the_reference_size_and_stays_close_to_its_values(string input, string expectedFile, double raw, double meanBound)
    {
        using var slide = Slide.Open(SharedData.Require("fixtures", "hipt", input));
        var expected = Istar.Formats.Npy.NpyArray.Read(SharedData.Require("fixtures", "hipt", expectedFile));

        using var image = SlideRescaler.Rescale(slide, raw, 0.5, RescaleMethod.Fast, cancellation: TestContext.Current.CancellationToken);

        int h = expected.Shape[0], w = expected.Shape[1];
        Assert.Equal((w, h), (image.ContentWidth, image.ContentHeight));
        double sum = 0;
        int max = 0;
        for (int y = 0; y < h; y++)
        {
            var row = image.ReadRows(y, 1);
            for (int x = 0; x < w * 3; x++)
            {
                int d = Math.Abs(row[x] - (int)expected.Values[(y * w * 3) + x]);
                sum += d;
                max = Math.Max(max, d);
            }
        }

        double mean = sum / (w * h * 3);
        _output.WriteLine($"{input}: fast vs reference uint8 mean abs {mean:0.###}, max {max}");
        Assert.True(mean < meanBound, $"mean abs difference {mean}");
    }
}

public class RescaleGuardTests
{
    [Fact]
    public void An_absurd_raw_pixel_size_is_an_input_error_before_any_allocation()
    {
        using var slide = Slide.Open(SharedData.Require("data", "cmu-1-small-region-svs", "small_HE.svs"));

        var e = Assert.Throws<Istar.Input.InputException>(() => SlideRescaler.Rescale(slide, 499, 0.5, cancellation: TestContext.Current.CancellationToken));
        Assert.Contains("raw pixel size", e.Hint, StringComparison.Ordinal);
    }

    [Fact]
    public void Output_size_follows_round_half_even_per_axis_with_a_minimum_of_one()
    {
        Assert.Equal((158, 125), SlideRescaler.ScaledSize(257, 203, 0.3075));
        Assert.Equal((73, 56), SlideRescaler.ScaledSize(53, 41, 0.686));
        Assert.Equal((1, 1), SlideRescaler.ScaledSize(3, 2, 0.01));
        Assert.Equal((2, 2), SlideRescaler.ScaledSize(5, 3, 0.5 * 0.5));
    }
}
