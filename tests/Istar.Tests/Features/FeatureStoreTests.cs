using Istar.Features;
using Istar.Tests.Support;

namespace Istar.Tests.Features;

/// <summary>The chunked on-disk feature store: exact and float16 round trips, skipped empty tiles, and damage checks.</summary>
public class FeatureStoreTests
{
    private static readonly FeatureProvenance Provenance = new("hipt", "fast", 0.5, 16, "w123", "s456")
    {
        Groups = [new ChannelGroup("cls", 0, 4), new ChannelGroup("rgb", 4, 3)],
    };

    /// <summary>70 × 45 blocks (not multiples of the 32-block tile), 7 channels, values only inside a disk of radius 20 blocks.</summary>
    private static FeatureGrid Sparse(float scale = 1, int seed = 1)
    {
        var rng = new Random(seed);
        var grid = FeatureGrid.Allocate(70, 45, 7, Provenance);
        for (int r = 0; r < grid.Rows; r++)
        {
            for (int c = 0; c < grid.Columns; c++)
            {
                if (((r - 20) * (r - 20)) + ((c - 20) * (c - 20)) > 400)
                {
                    continue;
                }

                var v = grid.Block(r, c);
                for (int k = 0; k < v.Length; k++)
                {
                    v[k] = (float)((rng.NextDouble() - 0.3) * scale * Math.Pow(10, rng.Next(-3, 2)));
                }
            }
        }

        return grid;
    }

    private static long RawBytes(FeatureGrid g) => g.BlockCount * g.Channels * sizeof(float);

    [Fact]
    public void Float32_round_trip_is_bit_exact_and_keeps_provenance_and_key()
    {
        using var tmp = new TempDir();
        using var grid = Sparse();
        grid.Save(tmp.File("f.store"), FeatureStorePrecision.Float32, "abc123");
        using var back = FeatureGrid.Open(tmp.File("f.store"), "abc123");
        Assert.Equal((grid.Rows, grid.Columns, grid.Channels), (back.Rows, back.Columns, back.Channels));
        Assert.Equal(Provenance.WeightsHash, back.Provenance.WeightsHash);
        Assert.Equal(Provenance.SlideHash, back.Provenance.SlideHash);
        Assert.Equal(["cls", "rgb"], back.Provenance.Groups.Select(g => g.Name));
        for (int r = 0; r < grid.Rows; r++)
        {
            Assert.True(grid.BlockRow(r).SequenceEqual(back.BlockRow(r)), $"row {r}");
        }

        Assert.Equal("abc123", FeatureStore.Describe(tmp.File("f.store")).Key);
    }

    [Fact]
    public void Float16_stays_within_half_precision_and_skips_empty_tiles()
    {
        using var tmp = new TempDir();
        using var grid = Sparse();
        grid.Save(tmp.File("f.store"));
        using var back = FeatureGrid.Open(tmp.File("f.store"));
        double worst = 0;
        for (int r = 0; r < grid.Rows; r++)
        {
            var a = grid.BlockRow(r);
            var b = back.BlockRow(r);
            for (int i = 0; i < a.Length; i++)
            {
                if (a[i] == 0)
                {
                    Assert.Equal(0f, b[i]);
                    continue;
                }

                // Normal halves: relative rounding error at most 2^-11; below 2^-14 the error is absolute (2^-25).
                double allowed = Math.Max(Math.Abs(a[i]) * Math.Pow(2, -11), Math.Pow(2, -25));
                worst = Math.Max(worst, Math.Abs(a[i] - b[i]) / allowed);
            }
        }

        Assert.InRange(worst, 0, 1.0);

        // The disk touches 4 of the 6 tiles (rows 0-31 and 32-63 × columns 0-31 and 32-44); the last tile row and
        // nothing else is empty. Stored: 4 tiles in float16 against a raw float32 grid of all 6.
        long stored = new FileInfo(tmp.File("f.store")).Length;
        long tileHalf = 32L * 32 * 7 * 2, edgeHalf = 32L * 13 * 7 * 2;
        long expectedData = (2 * tileHalf) + (2 * edgeHalf);
        Assert.InRange(stored - expectedData, 0, 4096);
        Assert.True(stored < RawBytes(grid) / 2, $"{stored} bytes vs raw {RawBytes(grid)}");
    }

    [Fact]
    public void Clearing_blocks_outside_a_mask_leaves_their_tiles_out_of_the_store()
    {
        using var tmp = new TempDir();
        using var grid = Sparse();
        grid.Save(tmp.File("all.store"));
        var keep = new bool[grid.BlockCount];
        for (int r = 0; r < 32; r++)
        {
            for (int c = 0; c < 32; c++)
            {
                keep[(r * grid.Columns) + c] = true;
            }
        }

        grid.ClearOutside(keep);
        Assert.Equal(-1, grid.Block(33, 10).IndexOfAnyExcept(0f));
        Assert.NotEqual(-1, grid.Block(10, 10).IndexOfAnyExcept(0f));
        grid.Save(tmp.File("kept.store"));
        long all = new FileInfo(tmp.File("all.store")).Length, kept = new FileInfo(tmp.File("kept.store")).Length;
        Assert.InRange(all - kept, 3 * 32L * 13 * 7 * 2, 4 * 32L * 32 * 7 * 2);
        Assert.Throws<ArgumentException>(() => grid.ClearOutside(new bool[5]));
    }

    [Fact]
    public void A_tile_with_values_beyond_half_range_is_kept_in_float32()
    {
        using var tmp = new TempDir();
        using var grid = Sparse();
        grid.Block(3, 3)[2] = 1.5e6f;
        grid.Block(3, 4)[0] = 0.123456789f;
        grid.Block(40, 40)[0] = 0.123456789f;
        grid.Save(tmp.File("f.store"));
        using var back = FeatureGrid.Open(tmp.File("f.store"));
        Assert.Equal(1.5e6f, back.Block(3, 3)[2]);
        Assert.Equal(0.123456789f, back.Block(3, 4)[0]);
        Assert.NotEqual(0.123456789f, back.Block(40, 40)[0]);
        Assert.Equal(0.123456789f, back.Block(40, 40)[0], 1e-4f);
    }

    [Fact]
    public void A_store_made_for_another_key_is_refused_naming_both_keys()
    {
        using var tmp = new TempDir();
        using var grid = Sparse();
        grid.Save(tmp.File("f.store"), key: "1111222233334444aaaa");
        var e = Assert.Throws<InvalidDataException>(() => FeatureGrid.Open(tmp.File("f.store"), "5555666677778888bbbb"));
        Assert.Contains("1111222233334444", e.Message, StringComparison.Ordinal);
        Assert.Contains("5555666677778888", e.Message, StringComparison.Ordinal);
        Assert.Contains(tmp.File("f.store"), e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Truncated_and_foreign_files_give_clear_errors()
    {
        using var tmp = new TempDir();
        using var grid = Sparse();
        grid.Save(tmp.File("f.store"));
        byte[] bytes = File.ReadAllBytes(tmp.File("f.store"));
        File.WriteAllBytes(tmp.File("cut.store"), bytes[..(bytes.Length - 100)]);
        var cut = Assert.Throws<InvalidDataException>(() => FeatureGrid.Open(tmp.File("cut.store")));
        Assert.Contains("truncated", cut.Message, StringComparison.Ordinal);

        File.WriteAllText(tmp.File("other.store"), "version https://git-lfs.github.com/spec/v1\n");
        var foreign = Assert.Throws<InvalidDataException>(() => FeatureGrid.Open(tmp.File("other.store")));
        Assert.Contains("not an Istar feature store", foreign.Message, StringComparison.Ordinal);
    }
}
