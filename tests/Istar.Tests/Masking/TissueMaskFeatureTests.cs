using Istar.Features;
using Istar.Masking;
using Istar.Pipeline;
using Istar.Tests.Support;

namespace Istar.Tests.Masking;

public class TissueMaskFeatureTests
{
    private readonly ITestOutputHelper _output;

    public TissueMaskFeatureTests(ITestOutputHelper output) => _output = output;

    [Fact]
    public void The_fixture_crop_gets_a_plausible_mask_where_the_reference_mask_is_empty()
    {
        var (blocks, _) = BlockRgb.FromImageFile(SharedData.Require("fixtures", "hipt", "he_crop.png"), 0.5);
        using var features = ReferenceMaskTests.LoadFeatures();
        Assert.Equal((48, 64), (blocks.Rows, blocks.Columns));

        var result = TissueMask.Compute(blocks, features, new TissueMaskOptions(), SilentRunLog.Instance, TestContext.Current.CancellationToken);

        _output.WriteLine($"{result.Method}: {result.ForegroundFraction:P1}");
        Assert.Equal("colour+features", result.Method);
        Assert.InRange(result.ForegroundFraction, 0.3, 0.75);

        // The crop's left ~45 % is glass: the left 20 columns are mostly background, the right 20 mostly tissue.
        Assert.True(ColumnFraction(result, 0, 20) < 0.2);
        Assert.True(ColumnFraction(result, 44, 64) > 0.8);
    }

    [Fact]
    public void Unsaturated_tissue_falls_back_to_the_feature_clusters()
    {
        int rows = 40;
        int columns = 50;
        var v = new float[rows * columns * 3];
        using var features = FeatureGrid.Allocate(rows, columns, 2, new FeatureProvenance("test", "", 0.5, 16, "", ""));
        for (int r = 0; r < rows; r++)
        {
            for (int c = 0; c < columns; c++)
            {
                bool inside = ((r - 20) * (r - 20)) + ((c - 25) * (c - 25)) <= 100;
                int o = ((r * columns) + c) * 3;
                v[o] = v[o + 1] = v[o + 2] = inside ? 0.8f : 0.9f;
                var block = features.Block(r, c);
                block[0] = inside ? 1 : 0;
                block[1] = inside ? 0 : 1;
            }
        }

        var log = new RecordingLog();

        var result = TissueMask.Compute(new BlockRgb(rows, columns, v), features, new TissueMaskOptions(), log, TestContext.Current.CancellationToken);

        Assert.Equal("features", result.Method);
        Assert.InRange(result.ForegroundFraction, 310 / 2000.0, 340 / 2000.0);
        Assert.NotEmpty(log.Warnings);
    }

    private static double ColumnFraction(TissueMaskResult result, int from, int to)
    {
        int n = 0;
        int on = 0;
        for (int r = 0; r < result.Rows; r++)
        {
            for (int c = from; c < to; c++)
            {
                n++;
                on += result.Mask[(r * result.Columns) + c] ? 1 : 0;
            }
        }

        return on / (double)n;
    }
}
