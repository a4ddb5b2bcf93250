using Istar.Features;
using Istar.Features.Hipt;
using Istar.Pipeline;

namespace Istar.Tests.Features.Hipt;

[Collection(HiptCollection.Name)]
public class HiptExtractorTests
{
    [Fact]
    public void The_extractor_names_itself_and_keys_mode_precision_and_weights()
    {
        var weights = new HiptWeights(HiptTestData.Vit256Path, HiptTestData.Vit4KPath);
        using var extractor = new HiptExtractor(weights, new HiptOptions { Precision = HiptPrecision.Bf16 });
        Assert.Equal("hipt", extractor.Name);
        Assert.Equal(579, extractor.Channels);
        Assert.Contains("mode=faithful", extractor.SettingsKey, StringComparison.Ordinal);
        Assert.Contains("precision=bf16", extractor.SettingsKey, StringComparison.Ordinal);
        Assert.Contains(HiptWeights.Sha256(weights.Vit256Path)[..16], extractor.SettingsKey, StringComparison.Ordinal);
        Assert.Contains(HiptWeights.Sha256(weights.Vit4KPath)[..16], extractor.SettingsKey, StringComparison.Ordinal);
        Assert.NotEqual(new HiptExtractor(weights, new HiptOptions { Mode = HiptMode.Fast }).SettingsKey, extractor.SettingsKey);
    }

    [Fact]
    public void The_extractor_loads_its_checkpoints_once_and_reuses_them()
    {
        var weights = new HiptWeights(HiptTestData.Vit256Path, HiptTestData.Vit4KPath);
        using var extractor = new HiptExtractor(weights, new HiptOptions { Mode = HiptMode.Fast, Threads = 2 });
        var log = new CountingLog();
        var image = TissueQuarter(HiptTestData.Crop);
        using var first = extractor.Extract(image, null, log, TestContext.Current.CancellationToken);
        using var second = extractor.Extract(image, null, log, TestContext.Current.CancellationToken);
        Assert.Equal(1, log.Loads);
        Assert.Equal(first.Block(10, 10).ToArray(), second.Block(10, 10).ToArray());
        Assert.Equal(HiptWeights.Sha256(weights.Vit256Path)[..16] + "+" + HiptWeights.Sha256(weights.Vit4KPath)[..16], first.Provenance.WeightsHash);
    }

    [Fact]
    public void Cuda_is_used_only_when_libtorch_has_it()
    {
        var device = HiptExtractor.ResolveDevice("cuda", SilentRunLog.Instance);
        Assert.Equal(TorchSharp.torch.cuda.is_available() ? TorchSharp.DeviceType.CUDA : TorchSharp.DeviceType.CPU, device.type);
        Assert.Equal(TorchSharp.DeviceType.CPU, HiptExtractor.ResolveDevice("cpu", SilentRunLog.Instance).type);
        Assert.Throws<Istar.Input.InputException>(() => HiptExtractor.ResolveDevice("tpu", SilentRunLog.Instance));
    }

    [Fact]
    public void Fast_mode_leaves_blocks_outside_tissue_tiles_at_zero()
    {
        var image = HiptTestData.Crop;
        var hint = new bool[image.BlockRows * image.BlockColumns];
        hint[(20 * image.BlockColumns) + 50] = true; // one block in patch (1, 3)
        var extractor = new HiptExtractor(HiptTestData.Networks, new HiptOptions { Mode = HiptMode.Fast, Smooth = false });
        using var grid = extractor.Extract(image, hint, SilentRunLog.Instance, TestContext.Current.CancellationToken);
        Assert.Equal(579, grid.Channels);
        Assert.Equal("fast", grid.Provenance.Mode);
        Assert.All(grid.Block(0, 0)[..576].ToArray(), v => Assert.Equal(0f, v));
        Assert.Contains(grid.Block(16, 48)[..576].ToArray(), v => v != 0f);
        Assert.True(grid.Block(0, 0)[576] > 0f);
    }

    [Fact]
    public void Fast_mode_agrees_with_the_faithful_reference_by_group()
    {
        var image = HiptTestData.Crop;
        var extractor = new HiptExtractor(HiptTestData.Networks, new HiptOptions { Mode = HiptMode.Fast });
        var watch = System.Diagnostics.Stopwatch.StartNew();
        using var fast = extractor.Extract(image, null, SilentRunLog.Instance, TestContext.Current.CancellationToken);
        TestContext.Current.TestOutputHelper?.WriteLine($"fast mode {watch.Elapsed.TotalSeconds:F1} s");
        var raw = new HiptExtractor(HiptTestData.Networks, new HiptOptions { Mode = HiptMode.Fast, Smooth = false });
        using var fastRaw = raw.Extract(image, null, SilentRunLog.Instance, TestContext.Current.CancellationToken);

        // Interior of the faithful grid: rows/cols with full shift weight (12 … n−17).
        double clsShift = Correlation(fast, HiptEmbedding.ClsStart, 192, "emb_shift_cls.npy", 12, 32, 12, 48);
        double subShift = Correlation(fast, HiptEmbedding.SubStart, 384, "emb_shift_sub.npy", 12, 32, 12, 48);
        double clsOne = Correlation(fastRaw, HiptEmbedding.ClsStart, 192, "emb_noshift_cls.npy", 0, 48, 0, 64);
        double subOne = Correlation(fastRaw, HiptEmbedding.SubStart, 384, "emb_noshift_sub.npy", 0, 48, 0, 64);
        TestContext.Current.TestOutputHelper?.WriteLine($"fast vs faithful (16 shifts, smoothed, interior): cls r = {clsShift:F4}, sub r = {subShift:F4}");
        TestContext.Current.TestOutputHelper?.WriteLine($"fast unsmoothed vs one faithful pass: cls r = {clsOne:F4}, sub r = {subOne:F4}");
        Assert.True(subOne > 0.99999, $"sub {subOne}");
        Assert.True(clsShift > 0.5 && subShift > 0.5, $"cls {clsShift}, sub {subShift}");
    }

    [Fact]
    public void Bf16_fast_mode_stays_close_to_fp32()
    {
        var image = TissueQuarter(HiptTestData.Crop);
        using var bf16 = HiptNetworks.Load(new HiptWeights(HiptTestData.Vit256Path, HiptTestData.Vit4KPath), precision: HiptPrecision.Bf16);
        var options = new HiptOptions { Mode = HiptMode.Fast, Smooth = false };
        using var a = new HiptExtractor(bf16, options).Extract(image, null, SilentRunLog.Instance, TestContext.Current.CancellationToken);
        using var b = new HiptExtractor(HiptTestData.Networks, options).Extract(image, null, SilentRunLog.Instance, TestContext.Current.CancellationToken);
        double cls = Correlation(a, b, HiptEmbedding.ClsStart, 192);
        double sub = Correlation(a, b, HiptEmbedding.SubStart, 384);
        double maxAbs = HiptTestData.MaxAbs(HiptTestData.ChannelMajor(a, 0, 576), HiptTestData.ChannelMajor(b, 0, 576).Select(v => (double)v).ToArray());
        TestContext.Current.TestOutputHelper?.WriteLine($"bf16 vs fp32 (fast, unsmoothed): cls r = {cls:F6}, sub r = {sub:F6}, max abs {maxAbs:E2}");
        Assert.True(maxAbs > 0, "bf16 gave exactly the fp32 result: it did not run in bf16");
        Assert.True(cls > 0.99 && sub > 0.99, $"cls {cls}, sub {sub}");
    }

    /// <summary>Rows 256–767, columns 512–1023 of the crop (2 × 2 patches, mostly tissue).</summary>
    private static Istar.Imaging.ScaledImage TissueQuarter(Istar.Imaging.ScaledImage crop)
    {
        var rgb = new byte[512 * 512 * 3];
        for (int y = 0; y < 512; y++)
        {
            crop.ReadRows(256 + y, 1).Slice(512 * 3, 512 * 3).CopyTo(rgb.AsSpan(y * 512 * 3));
        }

        return new Istar.Imaging.ScaledImage(rgb, 512, 512, 0.5, 512, 512);
    }

    private static double Correlation(FeatureGrid grid, int start, int count, string fixture, int r0, int r1, int c0, int c1)
    {
        var expected = HiptTestData.Npy(fixture).Values;
        float[] actual = HiptTestData.ChannelMajor(grid, start, count);
        var x = new List<double>();
        var y = new List<double>();
        int plane = grid.Rows * grid.Columns;
        for (int d = 0; d < count; d++)
        {
            for (int r = r0; r < r1; r++)
            {
                for (int c = c0; c < c1; c++)
                {
                    int i = (d * plane) + (r * grid.Columns) + c;
                    x.Add(actual[i]);
                    y.Add(expected[i]);
                }
            }
        }

        return Pearson(x, y);
    }

    private static double Correlation(FeatureGrid a, FeatureGrid b, int start, int count)
    {
        float[] x = HiptTestData.ChannelMajor(a, start, count);
        float[] y = HiptTestData.ChannelMajor(b, start, count);
        return Pearson(x.Select(v => (double)v).ToList(), y.Select(v => (double)v).ToList());
    }

    private static double Pearson(List<double> x, List<double> y)
    {
        double mx = x.Average();
        double my = y.Average();
        double sxy = 0, sxx = 0, syy = 0;
        for (int i = 0; i < x.Count; i++)
        {
            sxy += (x[i] - mx) * (y[i] - my);
            sxx += (x[i] - mx) * (x[i] - mx);
            syy += (y[i] - my) * (y[i] - my);
        }

        return sxy / Math.Sqrt(sxx * syy);
    }

    private sealed class CountingLog : IRunLog
    {
        public int Loads { get; private set; }

        public void Info(string message) => Loads += message.Contains("loading HIPT checkpoints", StringComparison.Ordinal) ? 1 : 0;

        public void Warn(string message)
        {
        }

        public IProgressTask Begin(string stage, string description, long total) => SilentRunLog.Instance.Begin(stage, description, total);
    }
}
