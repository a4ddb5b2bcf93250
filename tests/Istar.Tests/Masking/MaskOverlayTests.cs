using Istar.Masking;
using Istar.Tests.Support;
using NetVips;

namespace Istar.Tests.Masking;

public class MaskOverlayTests
{
    [Fact]
    public void The_overlay_tints_the_mask_outlines_it_and_leaves_the_background_unchanged()
    {
        using var dir = new TempDir();
        string path = dir.File("overlay.png");
        int width = 200;
        int height = 100;
        var rgb = new byte[width * height * 3];
        Array.Fill(rgb, (byte)200);
        // 10 x 20 block mask; blocks rows 2-7, columns 5-14 are tissue (10 px per block).
        var mask = new bool[10 * 20];
        for (int r = 2; r < 8; r++)
        {
            for (int c = 5; c < 15; c++)
            {
                mask[(r * 20) + c] = true;
            }
        }

        MaskOverlay.Write(path, rgb, width, height, mask, 10, 20);

        using var image = Image.NewFromFile(path);
        Assert.Equal(width, image.Width);
        Assert.Equal(height, image.Height);
        Assert.Equal(3, image.Bands);
        byte[] px = image.WriteToMemory<byte>();
        byte[] Pixel(int x, int y) => px.AsSpan(((y * width) + x) * 3, 3).ToArray();
        Assert.Equal(new byte[] { 200, 200, 200 }, Pixel(10, 10));
        Assert.Equal(new byte[] { 140, 200, 161 }, Pixel(100, 50));
        Assert.Equal(new byte[] { 255, 40, 200 }, Pixel(50, 50));
    }

    [Fact]
    public void The_overlay_can_be_drawn_on_block_colours()
    {
        using var dir = new TempDir();
        string path = dir.File("sub/overlay.png");
        var blocks = new BlockRgb(4, 5, Enumerable.Repeat(0.5f, 60).ToArray());

        MaskOverlay.Write(path, blocks, new bool[20], scale: 3);

        using var image = Image.NewFromFile(path);
        Assert.Equal(15, image.Width);
        Assert.Equal(12, image.Height);
    }
}
