using Istar.Features.Hipt;

namespace Istar.Tests.Features.Hipt;

[Collection(HiptCollection.Name)]
public class PositionalEmbeddingTests
{
    [Fact]
    public void The_source_step_for_14_to_16_is_14_over_16_point_1()
    {
        double[,] w = PositionalEmbedding.Weights(14, 16);
        for (int dst = 0; dst < 16; dst++)
        {
            double sum = 0;
            for (int s = 0; s < 14; s++)
            {
                sum += w[dst, s];
            }

            Assert.Equal(1.0, sum, 12);
        }

        // Output 0 samples src = 0.5 * 14 / 16.1 - 0.5 < 0, so taps are clamped and its weight sits on rows 0..2.
        Assert.Equal(0.0, w[0, 3], 12);
        Assert.True(w[0, 0] > 0.9);
    }

    [Fact]
    public void The_ViT_256_table_for_a_256_px_patch_matches_PyTorch()
    {
        var expected = HiptTestData.Npy("pos_embed_vit256_16x16.npy");
        float[] table = HiptTestData.Networks.Vit256.PositionTable(16, 16);
        double max = HiptTestData.MaxAbs(table, expected.Values);
        TestContext.Current.TestOutputHelper?.WriteLine($"pos_embed_vit256_16x16 max abs {max:E2}");
        Assert.True(max <= 1e-6, $"max abs {max}");
    }

    [Theory]
    [InlineData(16, 16)]
    [InlineData(3, 4)]
    [InlineData(4, 5)]
    [InlineData(5, 4)]
    public void The_ViT_4K_table_for_a_grid_matches_PyTorch(int rows, int cols)
    {
        var expected = HiptTestData.Npy($"pos_embed_vit4k_{rows}x{cols}.npy");
        float[] table = HiptTestData.Networks.Vit4K.PositionTable(rows, cols);
        double max = HiptTestData.MaxAbs(table, expected.Values);
        TestContext.Current.TestOutputHelper?.WriteLine($"pos_embed_vit4k_{rows}x{cols} max abs {max:E2}");
        Assert.True(max <= 1e-6, $"max abs {max}");
    }

    [Fact]
    public void The_stored_square_grid_is_used_unchanged()
    {
        var table = new float[(1 + 4) * 2];
        for (int i = 0; i < table.Length; i++)
        {
            table[i] = i;
        }

        Assert.Equal(table, PositionalEmbedding.Interpolate(table, 2, 2, 2));
    }
}

[CollectionDefinition(Name)]
public sealed class HiptCollection
{
    public const string Name = "HIPT networks";
}
