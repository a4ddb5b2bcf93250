using Istar.Features;
using Istar.Features.Texture;
using Istar.Imaging;
using Istar.Pipeline;

namespace Istar.Tests.Features.Texture;

public class TextureExtractorTests
{
    [Fact]
    public void It_returns_one_244_channel_vector_per_block_with_documented_groups()
    {
        using var grid = Extract(Image(256, 512, (x, y) => Pattern(x, y)));
        Assert.Equal(16, grid.Rows);
        Assert.Equal(32, grid.Columns);
        Assert.Equal(244, grid.Channels);
        Assert.Equal(TextureChannels.Count, new TextureExtractor().Channels);
        Assert.Equal("texture", grid.Provenance.Extractor);
        Assert.Equal(16, grid.Provenance.BlockSizePixels);
        var groups = grid.Provenance.Groups;
        Assert.Equal(0, groups[0].Start);
        for (int i = 1; i < groups.Count; i++)
        {
            Assert.Equal(groups[i - 1].Start + groups[i - 1].Count, groups[i].Start);
        }

        Assert.Equal(244, groups[^1].Start + groups[^1].Count);
        Assert.Equal(244, TextureChannels.Names().Count);
        Assert.Equal(244, TextureChannels.Names().Distinct().Count());
        for (int r = 0; r < grid.Rows; r++)
        {
            foreach (float v in grid.BlockRow(r))
            {
                Assert.True(float.IsFinite(v));
            }
        }
    }

    [Fact]
    public void A_constant_image_has_zero_std_and_zero_derivative_channels()
    {
        using var grid = Extract(Image(128, 128, (_, _) => (200, 120, 170)));
        var names = TextureChannels.Names();
        var block = grid.Block(3, 5).ToArray();
        for (int c = 0; c < names.Count; c++)
        {
            bool zero = names[c].Contains(":std:", StringComparison.Ordinal) || names[c].Contains(":st:", StringComparison.Ordinal)
                || names[c].EndsWith(":grad", StringComparison.Ordinal) || names[c].EndsWith(":log", StringComparison.Ordinal)
                || names[c].Contains(":hess", StringComparison.Ordinal);
            if (zero)
            {
                Assert.True(Math.Abs(block[c]) < 1e-5, $"{names[c]} = {block[c]}");
            }
        }

        Assert.Equal(200 / 255f, block[0], 5);
        Assert.Equal(120 / 255f, block[1], 5);
        Assert.Equal(170 / 255f, block[2], 5);
    }

    [Fact]
    public void Haematoxylin_is_higher_on_purple_nuclei_and_eosin_on_pink_stroma()
    {
        using var grid = Extract(Image(64, 64, (x, _) => x < 32 ? (70, 40, 140) : (235, 150, 190)));
        var names = TextureChannels.Names().ToList();
        int h = names.IndexOf("base:mean:H");
        int e = names.IndexOf("base:mean:E");
        var purple = grid.Block(1, 0);
        var pink = grid.Block(1, 3);
        Assert.True(purple[h] > pink[h]);
        Assert.True(pink[e] / pink[h] > purple[e] / purple[h]);
    }

    [Theory]
    [InlineData(16, 0)]
    [InlineData(0, 16)]
    public void Translating_the_image_by_16_px_shifts_the_features_by_one_block(int dx, int dy)
    {
        using var original = Extract(Image(256, 512, (x, y) => Pattern(x, y)));
        using var shifted = Extract(Image(256, 512, (x, y) => Pattern(x - dx, y - dy)));
        int reach = 7; // 48-px halo + 3-block context, in blocks, plus one
        int bx = dx / 16;
        int by = dy / 16;
        for (int r = 0; r < original.Rows; r++)
        {
            for (int c = 0; c < original.Columns; c++)
            {
                int r2 = r + by;
                int c2 = c + bx;
                bool interiorRows = by == 0 || (r >= reach && r2 < original.Rows - reach);
                bool interiorCols = bx == 0 || (c >= reach && c2 < original.Columns - reach);
                if (!interiorRows || !interiorCols)
                {
                    continue;
                }

                AssertClose(original.Block(r, c), shifted.Block(r2, c2), $"block ({r}, {c})");
            }
        }
    }

    [Fact]
    public void Streaming_in_strips_and_tiles_gives_the_same_features_as_one_pass()
    {
        var image = Image(320, 256, (x, y) => Pattern(x, y));
        using var onePass = new TextureExtractor { StripRows = 320 }.Extract(image, null, SilentRunLog.Instance, CancellationToken.None);
        using var strips = new TextureExtractor { StripRows = 32 }.Extract(image, null, SilentRunLog.Instance, CancellationToken.None);
        using var tiles = new TextureExtractor { StripRows = 48, TileColumns = 80 }.Extract(image, null, SilentRunLog.Instance, CancellationToken.None);
        for (int r = 0; r < onePass.Rows; r++)
        {
            AssertClose(onePass.BlockRow(r), strips.BlockRow(r), $"block row {r}");
            AssertClose(onePass.BlockRow(r), tiles.BlockRow(r), $"block row {r} (tiles)");
        }
    }

    [Fact]
    public void Strips_far_from_hinted_tissue_are_skipped_and_tissue_blocks_are_unchanged()
    {
        var image = Image(512, 128, (x, y) => Pattern(x, y));
        var hint = new bool[32 * 8];
        hint[(2 * 8) + 3] = true; // one tissue block in block row 2
        using var all = new TextureExtractor { StripRows = 64 }.Extract(image, null, SilentRunLog.Instance, TestContext.Current.CancellationToken);
        using var hinted = new TextureExtractor { StripRows = 64 }.Extract(image, hint, SilentRunLog.Instance, TestContext.Current.CancellationToken);
        Assert.True(all.Block(2, 3).SequenceEqual(hinted.Block(2, 3)));
        Assert.All(hinted.Block(31, 0).ToArray(), v => Assert.Equal(0f, v));
        Assert.Contains(all.Block(31, 0).ToArray(), v => v != 0);
    }

    [Fact]
    public void The_same_image_gives_identical_features()
    {
        var image = Image(128, 128, (x, y) => Pattern(x, y));
        using var a = Extract(image);
        using var b = Extract(image);
        for (int r = 0; r < a.Rows; r++)
        {
            Assert.True(a.BlockRow(r).SequenceEqual(b.BlockRow(r)));
        }
    }

    [Fact]
    public void The_benchmark_reports_a_positive_throughput()
    {
        double mpx = TextureBenchmark.MegapixelsPerSecond(512, 512, repeats: 1);
        TestContext.Current.TestOutputHelper?.WriteLine($"texture extractor: {mpx:0.00} Mpx/s");
        Assert.True(mpx > 0);
    }

    private static FeatureGrid Extract(ScaledImage image) =>
        new TextureExtractor().Extract(image, null, SilentRunLog.Instance, CancellationToken.None);

    private static ScaledImage Image(int height, int width, Func<int, int, (int R, int G, int B)> colour)
    {
        var rgb = new byte[height * width * 3];
        for (int y = 0; y < height; y++)
        {
            for (int x = 0; x < width; x++)
            {
                var (r, g, b) = colour(x, y);
                int at = ((y * width) + x) * 3;
                rgb[at] = (byte)r;
                rgb[at + 1] = (byte)g;
                rgb[at + 2] = (byte)b;
            }
        }

        return new ScaledImage(rgb, width, height, 0.5, width, height);
    }

    private static (int R, int G, int B) Pattern(int x, int y)
    {
        uint h = unchecked((uint)((x * 73856093) ^ (y * 19349663)));
        h ^= h >> 13;
        h *= 0x5bd1e995;
        h ^= h >> 15;
        int noise = (int)(h % 31) - 15;
        double v = (Math.Sin(x * 0.3) * Math.Cos(y * 0.17)) + (0.6 * Math.Sin((x - (2 * y)) * 0.045));
        return v > 0.7 ? (80 + noise, 50 + noise, 150 + noise) : (225 + noise, 140 + noise, 185 + noise);
    }

    private static void AssertClose(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual, string where)
    {
        Assert.Equal(expected.Length, actual.Length);
        var names = TextureChannels.Names();
        for (int i = 0; i < expected.Length; i++)
        {
            float tolerance = 1e-4f + (1e-4f * Math.Abs(expected[i]));
            if (Math.Abs(expected[i] - actual[i]) > tolerance)
            {
                Assert.Fail($"{where}, channel {names[i % names.Count]}: {expected[i]} vs {actual[i]}");
            }
        }
    }
}
