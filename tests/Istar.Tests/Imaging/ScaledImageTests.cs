using Istar.Imaging;
using Istar.Tests.Support;

namespace Istar.Tests.Imaging;

public class ScaledImageTests
{
    [Theory]
    [InlineData(1, 1, 256, 256)]
    [InlineData(256, 256, 256, 256)]
    [InlineData(257, 511, 512, 512)]
    [InlineData(158, 125, 256, 256)]
    [InlineData(12721, 13614, 12800, 13824)]
    public void Padding_rounds_each_side_up_to_a_multiple_of_256(int w, int h, int pw, int ph)
    {
        Assert.Equal((pw, ph), ScaledImage.PaddedSize(w, h));
    }

    [Fact]
    public void A_file_backed_image_is_white_in_its_padding_and_streams_rows_written_into_it()
    {
        using var dir = new TempDir();
        const int cw = 3000, ch = 2100;
        var (pw, ph) = ScaledImage.PaddedSize(cw, ch);
        string? backing;
        using (var image = ScaledImage.CreateWhite(pw, ph, 0.5, cw, ch, fileBacked: true, tempDirectory: dir.Path))
        {
            backing = image.BackingFile;
            Assert.True(image.IsFileBacked);
            Assert.StartsWith(dir.Path, backing, StringComparison.Ordinal);
            Assert.Equal((3072, 2304), (image.Width, image.Height));

            var row = new byte[cw * 3];
            for (int y = 0; y < ch; y++)
            {
                row.AsSpan().Fill((byte)(y % 251));
                image.WriteContentRows(y, 1, row);
            }

            for (int y = 0; y < image.Height; y += 97)
            {
                var r = image.ReadRows(y, 1);
                if (y < ch)
                {
                    Assert.Equal((byte)(y % 251), r[0]);
                    Assert.Equal((byte)(y % 251), r[(cw * 3) - 1]);
                    Assert.True(r[(cw * 3)..].IndexOfAnyExcept((byte)255) < 0);
                }
                else
                {
                    Assert.True(r.IndexOfAnyExcept((byte)255) < 0);
                }
            }

            Assert.Equal(image.ByteLength, image.Pixels.Length);
            Assert.Equal(image.Height / 16, image.BlockRows);
            Assert.Equal(image.Width / 16, image.BlockColumns);
        }

        Assert.False(File.Exists(backing));
        Assert.Empty(Directory.GetFiles(dir.Path));
    }

    [Fact]
    public void Small_images_stay_in_managed_memory_and_reject_rows_outside()
    {
        using var image = ScaledImage.CreateWhite(256, 256, 0.5, 200, 100);

        Assert.False(image.IsFileBacked);
        Assert.Null(image.BackingFile);
        Assert.Throws<ArgumentOutOfRangeException>(() => image.ReadRows(250, 10).Length);
        Assert.True(image.Pixels.IndexOfAnyExcept((byte)255) < 0);
    }

    [Fact]
    public void Saving_and_loading_a_png_round_trips_the_pixels_and_pads_on_load()
    {
        using var dir = new TempDir();
        byte[] rgb = SlideTests.Gradient(300, 200);
        string path = dir.File("he.png");
        new RgbImage(300, 200, rgb).Save(path);

        using var loaded = ScaledImage.Load(path, 0.5);
        Assert.Equal((300, 200, 512, 256), (loaded.ContentWidth, loaded.ContentHeight, loaded.Width, loaded.Height));
        Assert.True(loaded.ReadRows(10, 1)[..900].SequenceEqual(rgb.AsSpan(10 * 900, 900)));

        loaded.Save(dir.File("padded.png"));
        var back = RgbImage.Load(dir.File("padded.png"));
        Assert.Equal(loaded.Pixels.ToArray(), back.Pixels);
    }

    [Fact]
    public void Copying_a_region_beyond_the_edges_repeats_the_edge_pixels_like_numpy_edge_padding()
    {
        byte[] rgb = SlideTests.Gradient(5, 4);
        using var image = new ScaledImage(rgb, 5, 4, 0.5, 5, 4);
        var region = new byte[8 * 7 * 3];

        image.CopyRegion(-2, -1, 8, 7, region);

        for (int r = 0; r < 7; r++)
        {
            for (int c = 0; c < 8; c++)
            {
                int sy = Math.Clamp(r - 1, 0, 3), sx = Math.Clamp(c - 2, 0, 4);
                for (int k = 0; k < 3; k++)
                {
                    Assert.Equal(rgb[(sy * 5 + sx) * 3 + k], region[(r * 8 + c) * 3 + k]);
                }
            }
        }

        var inside = new byte[2 * 2 * 3];
        image.CopyRegion(1, 1, 2, 2, inside);
        Assert.Equal(rgb.AsSpan((1 * 5 + 1) * 3, 6).ToArray(), inside[..6]);
    }
}
