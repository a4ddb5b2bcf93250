using System.Diagnostics;
using Istar.Features;
using Istar.Features.Hipt;
using Istar.Pipeline;

namespace Istar.Tests.Features.Hipt;

[Collection(HiptCollection.Name)]
public class HiptFeatureGridTests
{
    private static readonly FeatureProvenance Provenance = new("hipt", "test", 0.5, 16, "fixture", "he_crop");

    [Fact]
    public void Rgb_channels_are_float16_block_means_of_v_over_255()
    {
        var image = HiptTestData.Crop;
        using var grid = FeatureGrid.Allocate(image.BlockRows, image.BlockColumns, HiptEmbedding.TotalChannels, Provenance);
        BlockColour.Write(grid, image.Pixels, image.Width, image.Height, HiptEmbedding.RgbStart);
        double max = HiptTestData.MaxAbs(HiptTestData.ChannelMajor(grid, HiptEmbedding.RgbStart, 3), HiptTestData.Npy("emb_rgb.npy").Values);
        TestContext.Current.TestOutputHelper?.WriteLine($"emb_rgb max abs {max:E2}");
        Assert.True(max <= 1e-3, $"max abs {max}");
    }

    [Fact]
    public void A_single_pass_matches_the_reference_no_shift_run()
    {
        var watch = Stopwatch.StartNew();
        using var grid = HiptFeatures.ExtractFaithful(HiptTestData.Networks, HiptTestData.Crop, new HiptOptions { Shift = false, Smooth = false }, Provenance, SilentRunLog.Instance, TestContext.Current.CancellationToken);
        TestContext.Current.TestOutputHelper?.WriteLine($"single pass {watch.Elapsed.TotalSeconds:F1} s");
        Assert.Equal((48, 64, 579), (grid.Rows, grid.Columns, grid.Channels));
        AssertClose(grid, HiptEmbedding.ClsStart, 192, "emb_noshift_cls.npy", 2e-4);
        AssertClose(grid, HiptEmbedding.SubStart, 384, "emb_noshift_sub.npy", 2e-4);
    }

    [Fact]
    public void Sixteen_shifted_passes_match_the_reference_default_run()
    {
        var watch = Stopwatch.StartNew();
        var log = new RecordingLog();
        using var grid = HiptFeatures.ExtractFaithful(HiptTestData.Networks, HiptTestData.Crop, new HiptOptions(), Provenance, log, TestContext.Current.CancellationToken);
        TestContext.Current.TestOutputHelper?.WriteLine(string.Join("\n", log.Lines));
        TestContext.Current.TestOutputHelper?.WriteLine($"16 shifts {watch.Elapsed.TotalSeconds:F1} s");
        Assert.Equal(["cls", "sub", "rgb"], grid.Provenance.Groups.Select(g => g.Name));
        AssertClose(grid, HiptEmbedding.ClsStart, 192, "emb_shift_cls.npy", 2e-4);
        AssertClose(grid, HiptEmbedding.SubStart, 384, "emb_shift_sub.npy", 2e-4);
        AssertClose(grid, HiptEmbedding.RgbStart, 3, "emb_shift_rgb.npy", 1e-3);
    }

    [Fact]
    public void Shift_weights_on_a_40_block_axis_are_quarter_steps_then_one_then_zero()
    {
        // Four runs of 24 blocks at offsets 0, 4, 8, 12 per axis, each adding 1, as the shifted passes do.
        using var grid = FeatureGrid.Allocate(40, 40, HiptEmbedding.TotalChannels, Provenance);
        foreach (int s0 in HiptFeatures.ShiftOffsets)
        {
            for (int r = 0; r < 24; r++)
            {
                grid.Block((s0 / 16) + r, 20)[0] += 1;
            }
        }

        HiptFeatures.ScaleAndZeroMargin(grid, 1f / 4, 16);
        float[] expected = [.. Enumerable.Repeat(0.25f, 4), .. Enumerable.Repeat(0.5f, 4), .. Enumerable.Repeat(0.75f, 4), .. Enumerable.Repeat(1f, 12), .. Enumerable.Repeat(0f, 16)];
        Assert.Equal(expected, Enumerable.Range(0, 40).Select(r => grid.Block(r, 20)[0]));
        Assert.Equal(0f, grid.Block(5, 30)[0]);
    }

    private static void AssertClose(FeatureGrid grid, int start, int count, string fixture, double tolerance)
    {
        double max = HiptTestData.MaxAbs(HiptTestData.ChannelMajor(grid, start, count), HiptTestData.Npy(fixture).Values);
        TestContext.Current.TestOutputHelper?.WriteLine($"{fixture} max abs {max:E2}");
        Assert.True(max <= tolerance, $"{fixture}: max abs {max}");
    }

    private sealed class RecordingLog : IRunLog
    {
        public List<string> Lines { get; } = [];

        public void Info(string message) => Lines.Add(message);

        public void Warn(string message) => Lines.Add("warning: " + message);

        public IProgressTask Begin(string stage, string description, long total) => SilentRunLog.Instance.Begin(stage, description, total);
    }
}
