using Istar.Formats.Npy;
using Istar.Imaging;
using Istar.Tests.Support;

namespace Istar.Tests.Imaging;

public class BlockColourTests
{
    private readonly ITestOutputHelper _output;

    public BlockColourTests(ITestOutputHelper output) => _output = output;

    [Fact]
    public void Block_means_of_the_crop_equal_the_reference_float16_rgb_channels_bit_for_bit()
    {
        var img = RgbImage.Load(SharedData.Require("fixtures", "hipt", "he_crop.png"));
        var expected = NpyArray.Read(SharedData.Require("fixtures", "hipt", "emb_rgb.npy"));

        float[] actual = BlockColour.Compute(img.Pixels, img.Width, img.Height);

        Assert.Equal(new[] { 3, 48, 64 }, expected.Shape);
        Assert.Equal(expected.Length, actual.Length);
        int differ = 0;
        double maxAbs = 0;
        for (int i = 0; i < actual.Length; i++)
        {
            double d = Math.Abs(actual[i] - expected.Values[i]);
            if (d != 0)
            {
                differ++;
            }

            maxAbs = Math.Max(maxAbs, d);
        }

        _output.WriteLine($"emb_rgb: {differ} of {actual.Length} differ, max abs {maxAbs:G3}");
        Assert.Equal(0, differ);
    }

    [Fact]
    public void Block_means_of_a_scaled_image_are_read_by_strips_and_white_padding_gives_one()
    {
        var rgb = new byte[32 * 48 * 3];
        Array.Fill(rgb, (byte)255);
        for (int i = 0; i < 16 * 48 * 3; i += 3)
        {
            rgb[i] = 0;
        }

        using var image = new ScaledImage(rgb, 48, 32, 0.5, 48, 32);
        float[] means = BlockColour.Compute(image);

        Assert.Equal(3 * 2 * 3, means.Length);
        Assert.Equal(0f, means[0]);
        Assert.Equal(1f, means[3]);
        Assert.Equal(1f, means[6]);
    }
}
