using Istar.Input;
using Istar.Masking;
using Istar.Pipeline;
using Istar.Tests.Support;
using NetVips;

namespace Istar.Tests.Masking;

public class UserMaskTests
{
    [Fact]
    public void A_png_mask_at_ten_pixels_per_block_maps_to_the_blocks_it_covers()
    {
        using var dir = new TempDir();
        string path = dir.File("mask.png");
        // 8 x 10 blocks at 10 px per block; tissue = block rows 2..4, columns 3..7, plus a block only 40 % covered.
        WriteGrey(path, 100, 80, (x, y) => (y >= 20 && y < 50 && x >= 30 && x < 80) || (y >= 60 && y < 70 && x >= 0 && x < 4));

        bool[] mask = UserMask.Load(path, 8, 10, SilentRunLog.Instance);

        for (int r = 0; r < 8; r++)
        {
            for (int c = 0; c < 10; c++)
            {
                Assert.Equal(r >= 2 && r < 5 && c >= 3 && c < 8, mask[(r * 10) + c]);
            }
        }
    }

    [Fact]
    public void A_large_rgba_tiff_is_reduced_by_area_and_alpha_is_ignored()
    {
        using var dir = new TempDir();
        string path = dir.File("mask.tif");
        // 1000 x 800 px onto 8 x 10 blocks (100 px per block): left 55 % of every block column 4 is tissue (> 0.5).
        int w = 1000;
        int h = 800;
        var rgba = new byte[w * h * 4];
        for (int y = 0; y < h; y++)
        {
            for (int x = 0; x < w; x++)
            {
                bool on = (x >= 400 && x < 455) || x >= 900;
                int o = ((y * w) + x) * 4;
                rgba[o] = on ? (byte)200 : (byte)0;
                rgba[o + 3] = 255;
            }
        }

        using (var img = Image.NewFromMemory(rgba, w, h, 4, Enums.BandFormat.Uchar))
        {
            img.Tiffsave(path);
        }

        bool[] mask = UserMask.Load(path, 8, 10, SilentRunLog.Instance);

        for (int r = 0; r < 8; r++)
        {
            for (int c = 0; c < 10; c++)
            {
                Assert.Equal(c == 4 || c == 9, mask[(r * 10) + c]);
            }
        }
    }

    [Fact]
    public void The_mask_covers_only_the_slide_content_and_not_the_padding()
    {
        using var dir = new TempDir();
        string path = dir.File("mask.png");
        WriteGrey(path, 60, 40, (_, _) => true);
        var log = new RecordingLog();

        // Content 4 x 6 blocks inside an 8 x 10 padded grid.
        bool[] mask = UserMask.Load(path, 8, 10, 4, 6, log);

        for (int r = 0; r < 8; r++)
        {
            for (int c = 0; c < 10; c++)
            {
                Assert.Equal(r < 4 && c < 6, mask[(r * 10) + c]);
            }
        }

        Assert.Empty(log.Warnings);
    }

    [Fact]
    public void A_mask_with_another_aspect_ratio_is_used_with_a_warning()
    {
        using var dir = new TempDir();
        string path = dir.File("mask.png");
        WriteGrey(path, 50, 50, (_, _) => true);
        var log = new RecordingLog();

        UserMask.Load(path, 8, 10, log);

        Assert.Contains(log.Warnings, w => w.Contains("aspect", StringComparison.Ordinal));
    }

    [Fact]
    public void An_unreadable_mask_is_an_input_error_naming_the_file()
    {
        using var dir = new TempDir();
        string path = dir.File("mask.png");
        File.WriteAllText(path, "not an image");

        var e = Assert.Throws<InputException>(() => UserMask.Load(path, 8, 10, SilentRunLog.Instance));

        Assert.Equal(path, e.Location);
        Assert.Contains("cannot be read", e.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void A_missing_mask_file_is_an_input_error()
    {
        var e = Assert.Throws<InputException>(() => UserMask.Load("/nonexistent/mask.png", 8, 10, SilentRunLog.Instance));

        Assert.Contains("does not exist", e.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void An_all_black_mask_is_an_input_error()
    {
        using var dir = new TempDir();
        string path = dir.File("mask.png");
        WriteGrey(path, 100, 80, (_, _) => false);

        var e = Assert.Throws<InputException>(() => UserMask.Load(path, 8, 10, SilentRunLog.Instance));

        Assert.Contains("no tissue", e.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void A_mask_too_thin_to_cover_any_block_is_an_input_error()
    {
        using var dir = new TempDir();
        string path = dir.File("mask.png");
        WriteGrey(path, 100, 80, (x, _) => x == 55);

        var e = Assert.Throws<InputException>(() => UserMask.Load(path, 8, 10, SilentRunLog.Instance));

        Assert.Contains("covers no block", e.Problem, StringComparison.Ordinal);
    }

    private static void WriteGrey(string path, int width, int height, Func<int, int, bool> on)
    {
        var bytes = new byte[width * height];
        for (int y = 0; y < height; y++)
        {
            for (int x = 0; x < width; x++)
            {
                bytes[(y * width) + x] = on(x, y) ? (byte)255 : (byte)0;
            }
        }

        using var img = Image.NewFromMemory(bytes, width, height, 1, Enums.BandFormat.Uchar);
        img.WriteToFile(path);
    }
}
