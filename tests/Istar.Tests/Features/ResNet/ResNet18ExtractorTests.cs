using Istar.Features;
using Istar.Features.ResNet18;
using Istar.Input;
using Istar.Pipeline;

namespace Istar.Tests.Features.ResNet;

public class ResNet18ExtractorTests
{
    /// <summary>
    /// RMS of (tile 256 − tile 512) over the blocks, relative to the RMS of the features, per layer group, with the
    /// default 256-px halo. Only cells whose receptive field reaches a tile edge can differ; observed: layer2 and
    /// layer3 &lt; 5e-5, layer4 ~4e-4. With a 64-px halo layer4 differs by 0.2–0.3.
    /// </summary>
    private const double TilingTolerance = 0.01;

    [Fact]
    public void Each_16_px_block_gets_896_channels_in_layer2_layer3_layer4_order()
    {
        var extractor = ResNet18TestData.Extractor(new ResNet18Options { Threads = 2 });
        var image = ResNet18TestData.HeImage(0, 0, 512, 384);
        using var grid = extractor.Extract(image, null, SilentRunLog.Instance, TestContext.Current.CancellationToken);

        Assert.Equal((24, 32, 896), (grid.Rows, grid.Columns, grid.Channels));
        Assert.Equal(896, extractor.Channels);
        Assert.Equal("resnet18", grid.Provenance.Extractor);
        Assert.Equal("layer2+layer3+layer4", grid.Provenance.Mode);
        Assert.Equal(ResNet18Files.Sha256(extractor.OnnxPath), grid.Provenance.WeightsHash);
        Assert.Equal([new ChannelGroup("layer2", 0, 128), new ChannelGroup("layer3", 128, 256), new ChannelGroup("layer4", 384, 512)], grid.Provenance.Groups);
        for (int r = 0; r < grid.Rows; r++)
        {
            foreach (float v in grid.BlockRow(r))
            {
                Assert.True(float.IsFinite(v) && v >= 0, $"row {r}: {v}"); // post-ReLU stages and their averages
            }
        }

        // Every block has signal in every group.
        foreach (var g in grid.Provenance.Groups)
        {
            Assert.True(grid.Block(5, 7).Slice(g.Start, g.Count).ToArray().Max() > 0, g.Name);
        }
    }

    [Fact]
    public void A_single_layer_gives_the_same_values_as_its_slice_of_the_full_vector()
    {
        var image = ResNet18TestData.HeImage(256, 128, 256, 256);
        using var full = ResNet18TestData.Extractor(new ResNet18Options { Threads = 2 }).Extract(image, null, SilentRunLog.Instance, TestContext.Current.CancellationToken);
        using var layer3 = ResNet18TestData.Extractor(new ResNet18Options { Threads = 2, Layers = ResNet18Layers.Layer3 }).Extract(image, null, SilentRunLog.Instance, TestContext.Current.CancellationToken);

        Assert.Equal(256, layer3.Channels);
        for (int r = 0; r < full.Rows; r++)
        {
            for (int c = 0; c < full.Columns; c++)
            {
                Assert.Equal(full.Block(r, c).Slice(128, 256).ToArray(), layer3.Block(r, c).ToArray());
            }
        }
    }

    [Fact]
    public void Tiles_of_256_and_512_px_give_the_same_features_within_tolerance_thanks_to_the_halo()
    {
        var image = ResNet18TestData.HeImage(256, 128, 512, 512);
        using var big = ResNet18TestData.Extractor(new ResNet18Options { Threads = 2, TileSize = 512 }).Extract(image, null, SilentRunLog.Instance, TestContext.Current.CancellationToken);
        using var small = ResNet18TestData.Extractor(new ResNet18Options { Threads = 2, TileSize = 256 }).Extract(image, null, SilentRunLog.Instance, TestContext.Current.CancellationToken);

        foreach (var g in big.Provenance.Groups)
        {
            double error = RelativeRms(big, small, g);
            Assert.True(error < TilingTolerance, $"{g.Name}: relative RMS difference {error:F4} >= {TilingTolerance}");
        }
    }

    [Fact]
    public void Without_a_halo_worth_the_name_the_tile_seams_show()
    {
        // The tiling tolerance above can fail: with a 64-px halo layer4 differs clearly between tilings.
        var image = ResNet18TestData.HeImage(256, 128, 512, 512);
        var layer4 = new ResNet18Options { Threads = 2, Layers = ResNet18Layers.Layer4, Halo = 64 };
        using var big = ResNet18TestData.Extractor(layer4 with { TileSize = 512 }).Extract(image, null, SilentRunLog.Instance, TestContext.Current.CancellationToken);
        using var small = ResNet18TestData.Extractor(layer4 with { TileSize = 256 }).Extract(image, null, SilentRunLog.Instance, TestContext.Current.CancellationToken);

        double error = RelativeRms(big, small, big.Provenance.Groups[0]);
        Assert.True(error > TilingTolerance, $"layer4 with a 32-px halo differs by only {error:F4}");
    }

    [Fact]
    public void Moving_the_image_by_32_px_moves_the_features_by_two_blocks()
    {
        // 32 px is the stride of layer4, so all three stages are equivariant to it where the receptive field (435 px)
        // sees the same pixels in both crops: blocks at least 320 px from every edge.
        var extractor = ResNet18TestData.Extractor(new ResNet18Options { Threads = 2 });
        using var a = extractor.Extract(ResNet18TestData.HeImage(0, 0, 992, 768), null, SilentRunLog.Instance, TestContext.Current.CancellationToken);
        using var b = extractor.Extract(ResNet18TestData.HeImage(32, 0, 992, 768), null, SilentRunLog.Instance, TestContext.Current.CancellationToken);

        foreach (var g in a.Provenance.Groups)
        {
            double diff = 0;
            double norm = 0;
            for (int r = 20; r < 28; r++)
            {
                for (int c = 22; c < 40; c++)
                {
                    var x = a.Block(r, c + 2).Slice(g.Start, g.Count);
                    var y = b.Block(r, c).Slice(g.Start, g.Count);
                    for (int k = 0; k < g.Count; k++)
                    {
                        diff += (x[k] - y[k]) * (double)(x[k] - y[k]);
                        norm += x[k] * (double)x[k];
                    }
                }
            }

            double error = Math.Sqrt(diff / norm);
            Assert.True(error < TilingTolerance, $"{g.Name}: relative RMS difference {error:F4} after a 32-px shift");
        }
    }

    [Fact]
    public void With_a_tissue_hint_only_tiles_holding_tissue_are_computed_and_background_blocks_stay_zero()
    {
        var options = new ResNet18Options { Threads = 2, TileSize = 256, Halo = 128, Layers = ResNet18Layers.Layer3 };
        var extractor = ResNet18TestData.Extractor(options);
        var image = ResNet18TestData.HeImage(0, 0, 512, 512); // 2 x 2 tiles of 16 x 16 blocks
        var hint = new bool[32 * 32];
        hint[(20 * 32) + 5] = true; // one block in the bottom-left tile
        using var all = extractor.Extract(image, null, SilentRunLog.Instance, TestContext.Current.CancellationToken);
        using var some = extractor.Extract(image, hint, SilentRunLog.Instance, TestContext.Current.CancellationToken);

        for (int r = 0; r < 32; r++)
        {
            for (int c = 0; c < 32; c++)
            {
                bool inTissueTile = r >= 16 && c < 16;
                if (inTissueTile)
                {
                    Assert.Equal(all.Block(r, c).ToArray(), some.Block(r, c).ToArray());
                }
                else
                {
                    Assert.All(some.Block(r, c).ToArray(), v => Assert.Equal(0f, v));
                }
            }
        }
    }

    [Fact]
    public void Two_runs_give_bit_identical_features()
    {
        var extractor = ResNet18TestData.Extractor(new ResNet18Options { Threads = 2, TileSize = 256 });
        var image = ResNet18TestData.HeImage(512, 256, 256, 256);
        using var first = extractor.Extract(image, null, SilentRunLog.Instance, TestContext.Current.CancellationToken);
        using var second = extractor.Extract(image, null, SilentRunLog.Instance, TestContext.Current.CancellationToken);
        for (int r = 0; r < first.Rows; r++)
        {
            Assert.True(first.BlockRow(r).SequenceEqual(second.BlockRow(r)), $"block row {r} differs");
        }
    }

    [Fact]
    public void The_settings_key_names_the_weights_hash_layers_tile_and_halo()
    {
        var a = ResNet18TestData.Extractor(new ResNet18Options { Threads = 2 });
        var b = ResNet18TestData.Extractor(new ResNet18Options { Threads = 2, TileSize = 256 });
        string hash = ResNet18Files.Sha256(a.OnnxPath);

        Assert.Equal("resnet18", a.Name);
        Assert.Contains(hash[..16], a.SettingsKey, StringComparison.Ordinal);
        Assert.Contains("layers=layer2+layer3+layer4", a.SettingsKey, StringComparison.Ordinal);
        Assert.Contains("tile=1024;halo=256", a.SettingsKey, StringComparison.Ordinal);
        Assert.NotEqual(a.SettingsKey, b.SettingsKey);
        Assert.Equal("e2552f19db2dfdb01b3669537b6a0f1b44da38d18279535492ed5dfc2ef1ff8f", hash); // ResNet18.onnx of the 0.24.0 package
    }

    [Fact]
    public void A_missing_onnx_file_is_an_input_error_that_says_where_the_weights_come_from()
    {
        using var dir = new Istar.Tests.Support.TempDir();
        string path = dir.File("ResNet18.onnx");
        var e = Assert.Throws<InputException>(() => new ResNet18Extractor(new ResNet18Options { OnnxPath = path }));
        Assert.Equal(path, e.Location);
        Assert.Contains("does not exist", e.Problem, StringComparison.Ordinal);
        Assert.Contains("Microsoft.ML.DnnImageFeaturizer.ResNet18 0.24.0", e.Hint, StringComparison.Ordinal);
    }

    [Fact]
    public void Nothing_found_anywhere_lists_the_places_looked_at()
    {
        using var dir = new Istar.Tests.Support.TempDir();
        var e = Assert.Throws<InputException>(() => ResNet18Files.Resolve(null, dir.Path, dir.File("nuget"), dir.Path));
        Assert.Contains(Path.Combine(dir.Path, "models", "resnet18"), e.Problem, StringComparison.Ordinal);
        Assert.Contains(Path.Combine(dir.File("nuget"), "microsoft.ml.dnnimagefeaturizer.resnet18", "0.24.0"), e.Problem, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(100, 128, "--tile-size")]
    [InlineData(512, 48, "--halo")]
    [InlineData(32, 128, "--tile-size")]
    public void Tile_and_halo_sizes_must_be_multiples_of_32(int tile, int halo, string location)
    {
        var e = Assert.Throws<InputException>(() => new ResNet18Options { TileSize = tile, Halo = halo }.Validate());
        Assert.Equal(location, e.Location);
    }

    [Fact]
    public void Layer_lists_parse_and_unknown_stages_are_named()
    {
        Assert.Equal(ResNet18Layers.Layer2 | ResNet18Layers.Layer4, ResNet18Options.ParseLayers("layer2, 4"));
        Assert.Equal(ResNet18Layers.All, ResNet18Options.ParseLayers("all"));
        var e = Assert.Throws<InputException>(() => ResNet18Options.ParseLayers("layer3,layer5"));
        Assert.Equal("--resnet18-layers", e.Location);
        Assert.Contains("'layer5'", e.Problem, StringComparison.Ordinal);
    }

    private static double RelativeRms(FeatureGrid a, FeatureGrid b, ChannelGroup g)
    {
        double diff = 0;
        double norm = 0;
        for (int r = 0; r < a.Rows; r++)
        {
            for (int c = 0; c < a.Columns; c++)
            {
                var x = a.Block(r, c).Slice(g.Start, g.Count);
                var y = b.Block(r, c).Slice(g.Start, g.Count);
                for (int k = 0; k < g.Count; k++)
                {
                    diff += (x[k] - y[k]) * (double)(x[k] - y[k]);
                    norm += x[k] * (double)x[k];
                }
            }
        }

        return Math.Sqrt(diff / norm);
    }
}
