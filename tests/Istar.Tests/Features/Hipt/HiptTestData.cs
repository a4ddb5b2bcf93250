using Istar.Features.Hipt;
using Istar.Formats.Npy;
using Istar.Imaging;
using Istar.Tests.Support;
using TorchSharp;

namespace Istar.Tests.Features.Hipt;

/// <summary>The HIPT fixtures (checkpoints loaded once per test process) and comparison helpers.</summary>
internal static class HiptTestData
{
    private static readonly Lock Gate = new();
    private static HiptNetworks? _networks;
    private static ScaledImage? _crop;

    public static string Vit256Path => SharedData.Require("fixtures", "hipt", "vit256_small_dino.pth");

    public static string Vit4KPath => SharedData.Require("fixtures", "hipt", "vit4k_xs_dino.pth");

    public static string Fixture(string name) => SharedData.Require("fixtures", "hipt", name);

    public static NpyArray Npy(string name) => NpyArray.Read(Fixture(name));

    /// <summary>Both fixture networks (depth 2), fp32 on the CPU, loaded once.</summary>
    public static HiptNetworks Networks
    {
        get
        {
            string p256 = Vit256Path;
            string p4k = Vit4KPath;
            lock (Gate)
            {
                if (_networks is null)
                {
                    torch.set_num_threads(2);
                    _networks = HiptNetworks.Load(new HiptWeights(p256, p4k));
                }

                return _networks;
            }
        }
    }

    /// <summary>he_crop.png (768 × 1024) decoded with NetVips, taken as already at 0.5 µm/px.</summary>
    public static ScaledImage Crop
    {
        get
        {
            string path = Fixture("he_crop.png");
            lock (Gate)
            {
                if (_crop is null)
                {
                    using var image = NetVips.Image.NewFromFile(path);
                    Assert.Equal(3, image.Bands);
                    byte[] rgb = image.WriteToMemory<byte>();
                    _crop = new ScaledImage(rgb, image.Width, image.Height, 0.5, image.Width, image.Height);
                }

                return _crop;
            }
        }
    }

    /// <summary>Max |a − e| over all values.</summary>
    public static double MaxAbs(ReadOnlySpan<float> actual, ReadOnlySpan<double> expected)
    {
        Assert.Equal(expected.Length, actual.Length);
        double max = 0;
        for (int i = 0; i < actual.Length; i++)
        {
            double d = Math.Abs(actual[i] - expected[i]);
            if (!(d <= max))
            {
                max = double.IsNaN(d) ? double.PositiveInfinity : d;
            }
        }

        return max;
    }

    /// <summary>Channels [start, start + count) of a grid as a channel-major (count, rows, cols) array.</summary>
    public static float[] ChannelMajor(Istar.Features.FeatureGrid grid, int start, int count)
    {
        var result = new float[count * grid.Rows * grid.Columns];
        int plane = grid.Rows * grid.Columns;
        for (int r = 0; r < grid.Rows; r++)
        {
            for (int c = 0; c < grid.Columns; c++)
            {
                var block = grid.Block(r, c);
                for (int d = 0; d < count; d++)
                {
                    result[(d * plane) + (r * grid.Columns) + c] = block[start + d];
                }
            }
        }

        return result;
    }
}
