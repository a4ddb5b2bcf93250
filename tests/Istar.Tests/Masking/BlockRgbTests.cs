using Istar.Imaging;
using Istar.Masking;

namespace Istar.Tests.Masking;

public class BlockRgbTests
{
    [Fact]
    public void Block_means_of_a_scaled_image_average_each_sixteen_pixel_square()
    {
        int width = 32;
        int height = 48;
        var rgb = new byte[width * height * 3];
        for (int y = 0; y < height; y++)
        {
            for (int x = 0; x < width; x++)
            {
                int o = ((y * width) + x) * 3;
                rgb[o] = (byte)(x < 16 ? 255 : 0);
                rgb[o + 1] = (byte)(y / 16 * 51);
                rgb[o + 2] = (byte)((x + y) % 2 == 0 ? 255 : 0);
            }
        }

        var blocks = BlockRgb.FromScaledImage(new ScaledImage(rgb, width, height, 0.5, width, height));

        Assert.Equal((3, 2), (blocks.Rows, blocks.Columns));
        for (int r = 0; r < 3; r++)
        {
            for (int c = 0; c < 2; c++)
            {
                int o = ((r * 2) + c) * 3;
                Assert.Equal(c == 0 ? 1f : 0f, blocks.Values[o], 6);
                Assert.Equal(r * 51 / 255f, blocks.Values[o + 1], 6);
                Assert.Equal(0.5f, blocks.Values[o + 2], 6);
            }
        }
    }
}
