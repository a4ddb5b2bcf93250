using Istar.Imaging;
using Istar.Masking;
using Istar.Pipeline;
using Istar.Tests.Support;
using NetVips;

namespace Istar.Tests.Masking;

public class MaskBuilderTests
{
    [Fact]
    public void The_auto_mask_of_a_scaled_image_finds_the_tissue_and_writes_the_overlay()
    {
        var image = Synthetic(out int tissueBlocks);
        using var dir = new TempDir();
        string overlay = dir.File("mask-overlay.png");

        var mask = MaskBuilder.Build(image, null, MaskMethod.Auto, null, SilentRunLog.Instance, overlay, TestContext.Current.CancellationToken);

        Assert.Equal((16, 16), (mask.Rows, mask.Columns));
        Assert.StartsWith("auto", mask.Description, StringComparison.Ordinal);
        Assert.True(Math.Abs(tissueBlocks - mask.Count) <= 4, $"{mask.Description}: {mask.Count}");
        using var png = Image.NewFromFile(overlay);
        Assert.Equal(32, png.Width);
    }

    [Fact]
    public void A_file_mask_covers_the_content_not_the_padding()
    {
        var image = Synthetic(out _);
        using var dir = new TempDir();
        string path = dir.File("mask.png");
        using (var white = Image.Black(10, 10) + 255)
        {
            white.Cast(Enums.BandFormat.Uchar).WriteToFile(path);
        }

        var mask = MaskBuilder.Build(image, null, MaskMethod.File, path, SilentRunLog.Instance, null, TestContext.Current.CancellationToken);

        // Content is 200 x 200 px = 12.5 x 12.5 blocks: blocks 0..11 fully, block 12 half (not > 0.5).
        Assert.Equal(12 * 12, mask.Count);
        Assert.Equal("file mask.png", mask.Description);
    }

    private static ScaledImage Synthetic(out int tissueBlocks)
    {
        // 256 x 256 px (16 x 16 blocks), content 200 x 200, pink tissue square over blocks 3..10.
        var rgb = new byte[256 * 256 * 3];
        Array.Fill(rgb, (byte)240);
        for (int y = 48; y < 176; y++)
        {
            for (int x = 48; x < 176; x++)
            {
                int o = ((y * 256) + x) * 3;
                rgb[o] = 210;
                rgb[o + 1] = 120;
                rgb[o + 2] = 180;
            }
        }

        tissueBlocks = 64;
        return new ScaledImage(rgb, 256, 256, 0.5, 200, 200);
    }
}
