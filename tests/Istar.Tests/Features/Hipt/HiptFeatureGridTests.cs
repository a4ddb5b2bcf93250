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
        BlockColour.Write(grid, image, HiptEmbedding.RgbStart);
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

[Collection(HiptCollection.Name)]
public class HiptTilingTests
{
    [Fact]
    public void A_crop_wider_than_4096_px_is_tiled_and_ViT_4K_sees_the_assembled_grid()
    {
        // 256 x 4352 px: 1 x 17 patches, two 4096 tiles across after edge replication. Flat grey except noise in the
        // first patch of each tile (keeps the number of distinct patches, and the test, small).
        const int H = 256, W = 4352;
        var rgb = new byte[H * W * 3];
        Array.Fill(rgb, (byte)200);
        var rng = new Random(7);
        for (int y = 0; y < H; y++)
        {
            rng.NextBytes(rgb.AsSpan(y * W * 3, 256 * 3));
            rng.NextBytes(rgb.AsSpan((y * W * 3) + (4096 * 3), 256 * 3));
        }
        var image = new Istar.Imaging.ScaledImage(rgb, W, H, 0.5, W, H);
        var networks = HiptTestData.Networks;
        using var grid = Istar.Features.FeatureGrid.Allocate(H / 16, W / 16, HiptEmbedding.TotalChannels, new("hipt", "test", 0.5, 16, "", ""));
        var embedding = new HiptEmbedding(networks, 8);
        embedding.AddRun(image, 0, 0, H, W, grid, 0, 0, null, TestContext.Current.CancellationToken);

        // Direct: the 17 real patches, and the edge-replicated patches of a 16 x 32 grid for ViT-4K.
        var patch = new byte[256 * 256 * 3];
        var cls = new float[16 * 32 * 384];
        var input = new float[3 * 256 * 256];
        float[]? lastSub = null;
        var byContent = new Dictionary<string, float[]>(); // the test's own de-duplication, by full content hash
        for (int r = 0; r < 16; r++)
        {
            for (int c = 0; c < 32; c++)
            {
                HiptEmbedding.CutPatch(image, 0, 0, H, W, r * 256, c * 256, patch);
                string key = Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(patch));
                if (!byContent.TryGetValue(key, out var values))
                {
                    HiptEmbedding.Normalize(patch, input);
                    using var x = TorchSharp.torch.tensor(input, [1, 3, 256, 256]);
                    using var tokens = networks.RunVit256(x);
                    values = tokens.data<float>().ToArray();
                    byContent[key] = values;
                }

                values.AsSpan(0, 384).CopyTo(cls.AsSpan(((r * 32) + c) * 384));
                if (r == 0 && c == 16)
                {
                    lastSub = values;
                }
            }
        }

        // sub of patch (0, 16): token 1 + 16i + j <-> block (i, 256 + j).
        double maxSub = 0;
        for (int i = 0; i < 16; i++)
        {
            for (int j = 0; j < 16; j++)
            {
                var block = grid.Block(i, 256 + j).Slice(HiptEmbedding.SubStart, 384);
                for (int d = 0; d < 384; d++)
                {
                    maxSub = Math.Max(maxSub, Math.Abs(block[d] - lastSub![((1 + (i * 16) + j) * 384) + d]));
                }
            }
        }

        using var g = TorchSharp.torch.tensor(cls, [1, 16, 32, 384]);
        using var gx = g.permute(0, 3, 1, 2);
        using var regionTokens = networks.RunVit4K(gx);
        float[] expected = regionTokens.data<float>().ToArray();
        double maxCls = 0;
        for (int bc = 0; bc < W / 16; bc++)
        {
            var block = grid.Block(7, bc).Slice(HiptEmbedding.ClsStart, 192);
            int token = 1 + (bc / 16);
            for (int d = 0; d < 192; d++)
            {
                maxCls = Math.Max(maxCls, Math.Abs(block[d] - expected[(token * 192) + d]));
            }
        }

        TestContext.Current.TestOutputHelper?.WriteLine($"two tiles: sub max abs {maxSub:E2}, cls max abs {maxCls:E2}; {embedding.PatchesComputed} computed, {embedding.PatchesReused} reused");
        Assert.True(maxSub <= 1e-4 && maxCls <= 1e-4, $"sub {maxSub}, cls {maxCls}");
        Assert.True(embedding.PatchesComputed < 64);
    }
}
