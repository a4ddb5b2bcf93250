using Istar.Formats.Npy;
using Istar.Masking;
using Istar.Tests.Support;

namespace Istar.Tests.Masking;

public class ConnectedComponentsTests
{
    [Theory]
    [InlineData(5, "relabel_min5_out.npy")]
    [InlineData(20, "relabel_min20_out.npy")]
    public void Relabel_small_matches_the_reference_output_exactly(int minSize, string expectedFile)
    {
        var input = NpyArray.Read(SharedData.Require("fixtures", "hipt", "relabel_in.npy"));
        var expected = NpyArray.Read(SharedData.Require("fixtures", "hipt", expectedFile));
        int[] labels = ToInts(input.Values);

        int[] actual = ConnectedComponents.RelabelSmall(labels, input.Shape[0], input.Shape[1], minSize);

        Assert.Equal(ToInts(expected.Values), actual);
    }

    [Fact]
    public void Components_are_four_connected_and_numbered_in_raster_order()
    {
        int[] labels =
        [
            1, 0, 1,
            0, 1, 1,
            -1, 1, 0,
        ];

        var (comp, count) = ConnectedComponents.Label(labels, 3, 3);

        Assert.Equal(5, count);
        Assert.Equal([0, 1, 2, 3, 2, 2, -1, 2, 4], comp);
    }

    [Fact]
    public void A_single_island_takes_the_surrounding_label_and_background_is_kept()
    {
        int[] labels =
        [
            0, 0, 0, 0,
            0, 1, 0, -1,
            0, 0, 0, 0,
        ];

        int[] actual = ConnectedComponents.RelabelSmall(labels, 3, 4, 2);

        Assert.Equal([0, 0, 0, 0, 0, 0, 0, -1, 0, 0, 0, 0], actual);
    }

    [Fact]
    public void Relabel_small_is_fast_on_a_million_noisy_blocks()
    {
        const int Rows = 1000;
        const int Columns = 1000;
        var labels = new int[Rows * Columns];
        var rng = new Random(1);
        for (int i = 0; i < labels.Length; i++)
        {
            labels[i] = (i % Columns) < Columns / 2 ? 0 : 1;
            if (rng.NextDouble() < 0.05)
            {
                labels[i] = rng.Next(3);
            }
        }

        var watch = System.Diagnostics.Stopwatch.StartNew();
        int[] actual = ConnectedComponents.RelabelSmall(labels, Rows, Columns, 20);
        watch.Stop();

        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(10), $"took {watch.Elapsed}");
        var (_, count) = ConnectedComponents.Label(actual, Rows, Columns);
        Assert.True(count <= 3, $"{count} components left");
    }

    internal static int[] ToInts(double[] values)
    {
        var r = new int[values.Length];
        for (int i = 0; i < r.Length; i++)
        {
            r[i] = (int)values[i];
        }

        return r;
    }
}

public class ConnectedComponentsArrayTests
{
    [Fact]
    public void The_two_dimensional_overload_matches_the_flat_one()
    {
        var grid = new int[,] { { 0, 0, 0 }, { 0, 1, 0 }, { 0, 0, 2 } };

        var result = ConnectedComponents.RelabelSmall(grid, 2);

        Assert.Equal(new int[,] { { 0, 0, 0 }, { 0, 0, 0 }, { 0, 0, 0 } }, result);
    }
}
