using Istar.Imaging;
using Istar.Input;
using Istar.Pipeline;
using Istar.Tests.Support;
using NetVips;

namespace Istar.Tests.Imaging;

public class SlideTests
{
    internal static byte[] Gradient(int width, int height)
    {
        var rgb = new byte[width * height * 3];
        for (int y = 0; y < height; y++)
        {
            for (int x = 0; x < width; x++)
            {
                int i = (y * width + x) * 3;
                rgb[i] = (byte)(x * 255 / Math.Max(1, width - 1));
                rgb[i + 1] = (byte)(y * 255 / Math.Max(1, height - 1));
                rgb[i + 2] = (byte)((x + y) & 255);
            }
        }

        return rgb;
    }

    private static Image Synthetic(int width, int height) => Image.NewFromMemory(Gradient(width, height), width, height, 3, Enums.BandFormat.Uchar);

    [Fact]
    public void The_aperio_svs_reports_its_size_and_the_mpp_from_its_description()
    {
        using var slide = Slide.Open(SharedData.Require("data", "cmu-1-small-region-svs", "small_HE.svs"));

        Assert.Equal(2220, slide.Width);
        Assert.Equal(2967, slide.Height);
        Assert.Equal(0.499, slide.MetadataMicronsPerPixel()!.Value, 6);
        Assert.Empty(slide.Conversions);
    }

    [Fact]
    public void A_full_read_of_the_svs_has_the_documented_mean_colour()
    {
        using var slide = Slide.Open(SharedData.Require("data", "cmu-1-small-region-svs", "small_HE.svs"));
        byte[] rgb = slide.ReadRegionRgb(0, 0, slide.Width, slide.Height);

        var sums = new double[3];
        for (int i = 0; i < rgb.Length; i++)
        {
            sums[i % 3] += rgb[i];
        }

        int n = rgb.Length / 3;
        Assert.InRange(sums[0] / n, 212, 216);
        Assert.InRange(sums[1] / n, 193, 197);
        Assert.InRange(sums[2] / n, 206, 210);
    }

    [Fact]
    public void A_region_read_of_the_svs_equals_the_same_pixels_of_the_fixture_crop()
    {
        // he_crop.png is rows 1520:2288, cols 240:1264 of level 0 as decoded by the reference (libjpeg).
        var crop = RgbImage.Load(SharedData.Require("fixtures", "hipt", "he_crop.png"));
        using var slide = Slide.Open(SharedData.Require("data", "cmu-1-small-region-svs", "small_HE.svs"));
        byte[] region = slide.ReadRegionRgb(240 + 100, 1520 + 50, 64, 32);

        int maxDiff = 0;
        for (int y = 0; y < 32; y++)
        {
            for (int x = 0; x < 64 * 3; x++)
            {
                int a = region[y * 64 * 3 + x];
                int b = crop.Pixels[((50 + y) * crop.Width * 3) + (100 * 3) + x];
                maxDiff = Math.Max(maxDiff, Math.Abs(a - b));
            }
        }

        Assert.True(maxDiff <= 2, $"max difference {maxDiff}");
    }

    [Theory]
    [InlineData("cm", false, false, false)]
    [InlineData("inch", false, false, false)]
    [InlineData("cm", true, true, false)]
    [InlineData("inch", true, true, true)]
    [InlineData("cm", false, true, true)]
    public void Tiff_variants_report_size_and_mpp_from_resolution_tags(string unit, bool pyramid, bool tiled, bool bigtiff)
    {
        using var dir = new TempDir();
        string path = dir.File("slide.tif");
        using (var img = Synthetic(600, 400))
        {
            // NetVips takes xres/yres in pixels per millimetre and converts to the unit it writes.
            img.Tiffsave(path, compression: Enums.ForeignTiffCompression.Jpeg, q: 90, tile: tiled, tileWidth: 128, tileHeight: 128,
                pyramid: pyramid, resunit: unit == "cm" ? Enums.ForeignTiffResunit.Cm : Enums.ForeignTiffResunit.Inch,
                xres: 1000.0 / 0.25, yres: 1000.0 / 0.25, bigtiff: bigtiff);
        }

        using var slide = Slide.Open(path);

        Assert.Equal(600, slide.Width);
        Assert.Equal(400, slide.Height);
        Assert.Equal(0.25, slide.MetadataMicronsPerPixel()!.Value, 3);
        if (pyramid)
        {
            Assert.True(slide.Pages > 1);
        }

        byte[] region = slide.ReadRegionRgb(590, 390, 10, 10);
        Assert.Equal(300, region.Length);
    }

    [Fact]
    public void Placeholder_72_dpi_tags_and_jpeg_density_give_no_mpp()
    {
        using var dir = new TempDir();
        string tif = dir.File("a.tif");
        string jpg = dir.File("a.jpg");
        using (var img = Synthetic(64, 64))
        {
            img.Tiffsave(tif, resunit: Enums.ForeignTiffResunit.Inch, xres: 72 / 25.4, yres: 72 / 25.4);
            img.Jpegsave(jpg);
        }

        using var t = Slide.Open(tif);
        using var j = Slide.Open(jpg);
        Assert.Null(t.MetadataMicronsPerPixel());
        Assert.Null(j.MetadataMicronsPerPixel());
    }

    [Theory]
    [InlineData("a.png")]
    [InlineData("a.jpg")]
    public void Png_and_jpeg_density_gives_the_mpp_when_it_is_plausible(string name)
    {
        using var dir = new TempDir();
        string path = dir.File(name);
        using (var img = Synthetic(32, 32))
        using (var tagged = img.Copy(xres: 1000.0 / 0.5, yres: 1000.0 / 0.5))
        {
            tagged.WriteToFile(path);
        }

        using var slide = Slide.Open(path);
        Assert.Equal(0.5, slide.MetadataMicronsPerPixel()!.Value, 2);
    }

    [Fact]
    public void Png_and_jpeg_open_with_their_size_and_read_back_their_pixels()
    {
        using var dir = new TempDir();
        string png = dir.File("a.png");
        byte[] expected = Gradient(50, 30);
        using (var img = Image.NewFromMemory(expected, 50, 30, 3, Enums.BandFormat.Uchar))
        {
            img.Pngsave(png);
            img.Jpegsave(dir.File("a.jpg"), q: 95);
        }

        using var p = Slide.Open(png);
        using var j = Slide.Open(dir.File("a.jpg"));
        Assert.Equal(expected, p.ReadRegionRgb(0, 0, 50, 30));
        Assert.Equal((50, 30), (j.Width, j.Height));
    }

    [Fact]
    public void Sixteen_bit_greyscale_is_scaled_and_expanded_to_rgb_with_warnings()
    {
        using var dir = new TempDir();
        string path = dir.File("grey16.tif");
        var values = new ushort[] { 0, 257, 32896, 65535 };
        using (var img = Image.NewFromMemory(values, 4, 1, 1, Enums.BandFormat.Ushort))
        {
            img.Tiffsave(path);
        }

        var log = new RecordingLog();
        using var slide = Slide.Open(path, log);
        byte[] rgb = slide.ReadRegionRgb(0, 0, 4, 1);

        Assert.Equal(new byte[] { 0, 0, 0, 1, 1, 1, 128, 128, 128, 255, 255, 255 }, rgb);
        Assert.Equal(16, slide.BitsPerSample);
        Assert.Equal(2, log.Warnings.Count);
        Assert.Contains(log.Warnings, w => w.Contains("16-bit", StringComparison.Ordinal));
        Assert.Contains(log.Warnings, w => w.Contains("greyscale", StringComparison.Ordinal));
    }

    [Fact]
    public void Float_samples_in_zero_to_one_are_scaled_the_same_way_for_region_reads_and_streamed_rescales()
    {
        using var dir = new TempDir();
        string path = dir.File("float.tif");
        var values = new float[16 * 8 * 3];
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = (i % 3) switch { 0 => 0f, 1 => 0.5f, _ => 1f };
        }

        using (var img = Image.NewFromMemory(values, 16, 8, 3, Enums.BandFormat.Float))
        {
            img.Tiffsave(path);
        }

        var log = new RecordingLog();
        using var slide = Slide.Open(path, log);
        byte[] region = slide.ReadRegionRgb(0, 0, 16, 8);
        using var scaled = SlideRescaler.Rescale(slide, 0.5, 0.5, RescaleMethod.Faithful, cancellation: TestContext.Current.CancellationToken);
        using var fast = SlideRescaler.Rescale(slide, 0.5, 0.5, RescaleMethod.Fast, cancellation: TestContext.Current.CancellationToken);

        Assert.Equal(new byte[] { 0, 128, 255 }, region[..3]);
        Assert.True(scaled.ReadRows(7, 1)[..48].SequenceEqual(region.AsSpan(7 * 48, 48)));
        Assert.True(fast.ReadRows(7, 1)[..48].SequenceEqual(region.AsSpan(7 * 48, 48)));
        Assert.Single(log.Warnings);
    }

    [Fact]
    public void Rgba_png_drops_alpha_like_the_reference_and_warns()
    {
        using var dir = new TempDir();
        string path = dir.File("rgba.png");
        var rgba = new byte[] { 10, 20, 30, 0, 40, 50, 60, 255 };
        using (var img = Image.NewFromMemory(rgba, 2, 1, 4, Enums.BandFormat.Uchar))
        {
            img.Pngsave(path);
        }

        var log = new RecordingLog();
        using var slide = Slide.Open(path, log);

        Assert.Equal(new byte[] { 10, 20, 30, 40, 50, 60 }, slide.ReadRegionRgb(0, 0, 2, 1));
        Assert.Single(log.Warnings);
        Assert.Contains("alpha", log.Warnings[0], StringComparison.Ordinal);
    }

    [Fact]
    public void A_missing_file_is_an_input_error_naming_it()
    {
        var e = Assert.Throws<InputException>(() => Slide.Open("/nonexistent/slide.svs"));
        Assert.Equal("/nonexistent/slide.svs", e.Location);
        Assert.Contains("does not exist", e.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void A_file_that_is_not_an_image_is_an_input_error_with_a_hint()
    {
        using var dir = new TempDir();
        string path = dir.File("slide.tif");
        File.WriteAllText(path, "this is not a tiff at all");

        var e = Assert.Throws<InputException>(() => Slide.Open(path));
        Assert.Contains("cannot be read as an image", e.Problem, StringComparison.Ordinal);
        Assert.NotNull(e.Hint);
    }

    [Fact]
    public void A_truncated_jpeg_fails_on_reading_with_an_input_error()
    {
        using var dir = new TempDir();
        string path = dir.File("cut.jpg");
        byte[] full;
        using (var img = Synthetic(256, 256))
        {
            full = img.JpegsaveBuffer(q: 95);
        }

        File.WriteAllBytes(path, full[..(full.Length / 2)]);

        var e = Assert.Throws<InputException>(() =>
        {
            using var slide = Slide.Open(path);
            slide.ReadRegionRgb(0, 0, slide.Width, slide.Height);
        });
        Assert.Equal(path, e.Location);
    }

    [Fact]
    public void A_jpeg_2000_svs_is_refused_at_open_with_a_conversion_hint()
    {
        using var dir = new TempDir();
        string path = dir.File("jp2k.svs");
        using (var img = Synthetic(32, 32))
        {
            img.Tiffsave(path, compression: Enums.ForeignTiffCompression.None);
        }

        PatchCompression(path, 33003);

        var e = Assert.Throws<InputException>(() => Slide.Open(path));
        Assert.Contains("JPEG 2000", e.Problem, StringComparison.Ordinal);
        Assert.Contains("vips tiffsave", e.Hint, StringComparison.Ordinal);
    }

    [Fact]
    public void Thumbnail_fits_the_longer_side_and_keeps_the_aspect()
    {
        using var slide = Slide.Open(SharedData.Require("data", "cmu-1-small-region-svs", "small_HE.svs"));
        var thumb = slide.Thumbnail(300);

        Assert.Equal(300, thumb.Height);
        Assert.InRange(thumb.Width, 223, 226);
        Assert.Equal(thumb.Width * thumb.Height * 3, thumb.Pixels.Length);
    }

    [Fact]
    public void A_tiff_whose_first_page_is_a_thumbnail_is_read_from_its_largest_page()
    {
        using var dir = new TempDir();
        string path = dir.File("thumb-first.tif");
        byte[] small = Gradient(8, 6), large = Gradient(40, 30);
        File.WriteAllBytes(path, TwoPageTiff((8, 6, small), (40, 30, large)));

        var log = new RecordingLog();
        using var slide = Slide.Open(path, log);

        Assert.Equal(1, slide.Page);
        Assert.Equal((40, 30), (slide.Width, slide.Height));
        Assert.Equal(large, slide.ReadRegionRgb(0, 0, 40, 30));
        using var scaled = SlideRescaler.Rescale(slide, 0.5, 0.5, RescaleMethod.Faithful, cancellation: TestContext.Current.CancellationToken);
        Assert.Equal((40, 30), (scaled.ContentWidth, scaled.ContentHeight));
        Assert.True(scaled.ReadRows(29, 1)[..120].SequenceEqual(large.AsSpan(29 * 120, 120)));
        Assert.Equal(40, slide.Thumbnail(100).Width);
        Assert.Single(log.Infos);
    }

    /// <summary>A little-endian classic TIFF with two uncompressed RGB pages of different sizes.</summary>
    private static byte[] TwoPageTiff(params (int W, int H, byte[] Rgb)[] pages)
    {
        using var ms = new MemoryStream();
        using var bw = new BinaryWriter(ms);
        bw.Write("II"u8);
        bw.Write((ushort)42);
        bw.Write(0u); // first IFD offset, patched below
        long previousLink = 4;
        foreach (var (w, h, rgb) in pages)
        {
            long bps = ms.Position;
            bw.Write((ushort)8);
            bw.Write((ushort)8);
            bw.Write((ushort)8);
            long data = ms.Position;
            bw.Write(rgb);
            if ((ms.Position & 1) != 0)
            {
                bw.Write((byte)0);
            }

            long ifd = ms.Position;
            ms.Position = previousLink;
            bw.Write((uint)ifd);
            ms.Position = ifd;
            var entries = new (ushort Tag, ushort Type, uint Count, uint Value)[]
            {
                (256, 4, 1, (uint)w), (257, 4, 1, (uint)h), (258, 3, 3, (uint)bps), (259, 3, 1, 1), (262, 3, 1, 2),
                (273, 4, 1, (uint)data), (277, 3, 1, 3), (278, 4, 1, (uint)h), (279, 4, 1, (uint)rgb.Length), (284, 3, 1, 1),
            };
            bw.Write((ushort)entries.Length);
            foreach (var e in entries)
            {
                bw.Write(e.Tag);
                bw.Write(e.Type);
                bw.Write(e.Count);
                if (e.Type == 3 && e.Count == 1)
                {
                    bw.Write((ushort)e.Value);
                    bw.Write((ushort)0);
                }
                else
                {
                    bw.Write(e.Value);
                }
            }

            previousLink = ms.Position;
            bw.Write(0u);
        }

        bw.Flush();
        return ms.ToArray();
    }

    /// <summary>Rewrites the Compression tag (259) of IFD 0 of a little-endian classic TIFF.</summary>
    private static void PatchCompression(string path, ushort value)
    {
        byte[] b = File.ReadAllBytes(path);
        Assert.Equal((byte)'I', b[0]);
        int ifd = BitConverter.ToInt32(b, 4);
        int n = BitConverter.ToUInt16(b, ifd);
        for (int i = 0; i < n; i++)
        {
            int e = ifd + 2 + (i * 12);
            if (BitConverter.ToUInt16(b, e) == 259)
            {
                BitConverter.GetBytes(value).CopyTo(b, e + 8);
                File.WriteAllBytes(path, b);
                return;
            }
        }

        Assert.Fail("no compression tag");
    }

    internal sealed class RecordingLog : IRunLog
    {
        public List<string> Warnings { get; } = [];

        public List<string> Infos { get; } = [];

        public void Info(string message) => Infos.Add(message);

        public void Warn(string message) => Warnings.Add(message);

        public IProgressTask Begin(string stage, string description, long total) => new Progress();

        private sealed class Progress : IProgressTask
        {
            public void Advance(long steps = 1, string? status = null)
            {
            }

            public void Dispose()
            {
            }
        }
    }
}
