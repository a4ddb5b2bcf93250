using Istar.Formats.Npy;
using Istar.Imaging;
using Istar.Tests.Support;

namespace Istar.Tests.Imaging;

public class FaithfulRescalerTests
{
    private readonly ITestOutputHelper _output;

    public FaithfulRescalerTests(ITestOutputHelper output) => _output = output;

    [Theory]
    [InlineData("rescale_in.png", "rescale_out", 0.3075 / 0.5)]
    [InlineData("rescale_up_in.png", "rescale_up_out", 0.686 / 0.5)]
    public void Faithful_rescale_matches_the_skimage_fixture_in_float_and_uint8(string input, string output, double scale)
    {
        var img = RgbImage.Load(SharedData.Require("fixtures", "hipt", input));
        var expectedFloat = NpyArray.Read(SharedData.Require("fixtures", "hipt", output + "_float.npy"));
        var expectedBytes = NpyArray.Read(SharedData.Require("fixtures", "hipt", output + "_uint8.npy"));

        float[] actual = FaithfulRescaler.RescaleToFloat(img.Pixels, img.Width, img.Height, scale, out int ow, out int oh);

        Assert.Equal(expectedFloat.Shape, new[] { oh, ow, 3 });
        double maxAbs = 0;
        int exactFloat = 0;
        for (int i = 0; i < actual.Length; i++)
        {
            double d = Math.Abs(actual[i] - expectedFloat.Values[i]);
            maxAbs = Math.Max(maxAbs, d);
            if (actual[i] == (float)expectedFloat.Values[i])
            {
                exactFloat++;
            }
        }

        var bytes = new byte[actual.Length];
        FaithfulRescaler.TruncateToBytes(actual, bytes);
        int differ = 0, maxByteDiff = 0;
        for (int i = 0; i < bytes.Length; i++)
        {
            int d = Math.Abs(bytes[i] - (int)expectedBytes.Values[i]);
            if (d != 0)
            {
                differ++;
            }

            maxByteDiff = Math.Max(maxByteDiff, d);
        }

        _output.WriteLine($"{input}: {ow}x{oh}, float max abs {maxAbs:G3}, bit-exact floats {exactFloat}/{actual.Length}, uint8 differing {differ}/{bytes.Length} (max {maxByteDiff})");
        Assert.True(maxAbs <= 1e-3, $"max abs {maxAbs}");
        Assert.True(maxByteDiff <= 1, $"uint8 max diff {maxByteDiff}");
        Assert.Equal(0, differ);
    }
}
