using Istar.Features.Hipt;
using static TorchSharp.torch;

namespace Istar.Tests.Features.Hipt;

[Collection(HiptCollection.Name)]
public class VisionTransformerTests
{
    [Fact]
    public void ViT_256_tokens_of_four_crop_patches_match_the_reference()
    {
        var expected = HiptTestData.Npy("vit256_tokens.npy");
        var image = HiptTestData.Crop;
        (int Y, int X)[] origins = [(0, 0), (0, 512), (256, 768), (512, 512)];
        var input = new float[origins.Length * 3 * 256 * 256];
        var patch = new byte[256 * 256 * 3];
        for (int i = 0; i < origins.Length; i++)
        {
            HiptEmbedding.CutPatch(image, 0, 0, image.Height, image.Width, origins[i].Y, origins[i].X, patch);
            HiptEmbedding.Normalize(patch, input.AsSpan(i * 3 * 256 * 256, 3 * 256 * 256));
        }

        using var x = tensor(input, [origins.Length, 3, 256, 256]);
        using var tokens = HiptTestData.Networks.RunVit256(x);
        Assert.Equal(expected.Shape.Select(d => (long)d), tokens.shape);
        double max = HiptTestData.MaxAbs(tokens.data<float>().ToArray(), expected.Values);
        TestContext.Current.TestOutputHelper?.WriteLine($"vit256_tokens max abs {max:E2}");
        Assert.True(max <= 1e-4, $"max abs {max}");
    }

    [Theory]
    [InlineData(16, 16)]
    [InlineData(3, 4)]
    [InlineData(4, 5)]
    [InlineData(5, 4)]
    public void ViT_4K_tokens_of_a_grid_match_the_reference(int rows, int cols)
    {
        var grid = HiptTestData.Npy("vit4k_in_grid16x16.npy");
        var expected = HiptTestData.Npy($"vit4k_tokens_grid{rows}x{cols}.npy");
        using var full = tensor(grid.ToFloat32(), [1, 384, 16, 16]);
        using var sub = full[.., .., ..rows, ..cols].contiguous();
        using var tokens = HiptTestData.Networks.RunVit4K(sub);
        Assert.Equal(expected.Shape.Select(d => (long)d), tokens.shape);
        double max = HiptTestData.MaxAbs(tokens.data<float>().ToArray(), expected.Values);
        TestContext.Current.TestOutputHelper?.WriteLine($"vit4k_tokens_grid{rows}x{cols} max abs {max:E2}");
        Assert.True(max <= 1e-4, $"max abs {max}");
    }

    [Fact]
    public void State_dict_names_equal_the_checkpoint_keys()
    {
        using var checkpoint = HiptCheckpoint.Load(HiptTestData.Vit256Path, HiptModelKind.Vit256);
        using var model = checkpoint.CreateVit256();
        var names = model.state_dict().Keys.ToHashSet();
        Assert.Empty(checkpoint.Tensors.Keys.Except(names));
        Assert.Empty(names.Except(checkpoint.Tensors.Keys));
        Assert.Contains("blocks.1.attn.qkv.weight", names);
        Assert.Equal(2, checkpoint.Config.Depth);
        Assert.Equal(384, checkpoint.Config.Dim);
        Assert.Equal(6, checkpoint.Config.Heads);

        using var c4k = HiptCheckpoint.Load(HiptTestData.Vit4KPath, HiptModelKind.Vit4K);
        using var m4k = c4k.CreateVit4K();
        Assert.Empty(c4k.Tensors.Keys.Except(m4k.state_dict().Keys));
        Assert.Empty(m4k.state_dict().Keys.Except(c4k.Tensors.Keys));
        Assert.Equal(new VitConfig(192, 2, 6, 768, 384, 1, 14), c4k.Config);
    }
}
