using Istar.Features.Hipt;

namespace Istar.Tests.Features.Hipt;

public class BoxSmoothingTests
{
    [Theory]
    [InlineData(16, "smooth_box16_out.npy")]
    [InlineData(4, "smooth_box4_out.npy")]
    public void Box_smoothing_matches_OpenCV_filter2D_with_reflected_borders(int k, string expectedName)
    {
        var input = HiptTestData.Npy("smooth_in.npy");
        var expected = HiptTestData.Npy(expectedName);
        int channels = input.Shape[0];
        int rows = input.Shape[1];
        int cols = input.Shape[2];
        float[] values = input.ToFloat32();
        var actual = new float[values.Length];
        int plane = rows * cols;
        for (int c = 0; c < channels; c++)
        {
            BoxSmoothing.SmoothPlane(values.AsSpan(c * plane, plane), rows, cols, k).CopyTo(actual, c * plane);
        }

        double max = HiptTestData.MaxAbs(actual, expected.Values);
        TestContext.Current.TestOutputHelper?.WriteLine($"{expectedName} max abs {max:E2}");
        Assert.True(max <= 1e-6, $"max abs {max}");
    }

    [Fact]
    public void Smoothing_block_major_channels_equals_smoothing_each_plane()
    {
        var rng = new Random(3);
        const int Rows = 7, Cols = 9, Stride = 5;
        var data = new float[Rows * Cols * Stride];
        for (int i = 0; i < data.Length; i++)
        {
            data[i] = (float)rng.NextDouble();
        }

        var plane = new float[Rows * Cols];
        for (int b = 0; b < plane.Length; b++)
        {
            plane[b] = data[(b * Stride) + 2];
        }

        float[] expected = BoxSmoothing.SmoothPlane(plane, Rows, Cols, 16);
        float untouched = data[1];
        BoxSmoothing.SmoothBlockMajor(data.AsSpan(), Rows, Cols, Stride, 2, 2, 16);

        for (int b = 0; b < plane.Length; b++)
        {
            Assert.Equal(expected[b], data[(b * Stride) + 2], 6);
        }

        Assert.Equal(untouched, data[1]);
    }

    [Theory]
    [InlineData(-1, 5, 0)]
    [InlineData(-2, 5, 1)]
    [InlineData(5, 5, 4)]
    [InlineData(6, 5, 3)]
    [InlineData(-8, 3, 1)]
    public void Reflect_repeats_the_edge_element(int p, int n, int expected) =>
        Assert.Equal(expected, BoxSmoothing.Reflect(p, n));
}
