using Istar.Features.ResNet18;

namespace Istar.Tests.Features.ResNet;

public class OnnxModelTests
{
    [Fact]
    public void The_packaged_ResNet18_onnx_reads_as_74_nodes_and_110_float_initializers()
    {
        var files = ResNet18TestData.Files();
        var model = OnnxModel.Load(files.OnnxPath);

        Assert.Equal("CNTK 2.6", model.Producer);
        Assert.Equal(74, model.Nodes.Count);
        Assert.Equal(110, model.Initializers.Count);
        Assert.Equal([1L, 3, 224, 224], Assert.Single(model.Inputs).Dims);
        Assert.Equal([1L, 512, 1, 1], Assert.Single(model.Outputs).Dims);
        Assert.Equal(22, model.Nodes.Count(n => n.OpType == "Conv"));
        Assert.Equal(22, model.Nodes.Count(n => n.OpType == "BatchNormalization"));
        Assert.Equal("AveragePool", model.Nodes[^1].OpType);
        var stem = model.Nodes[0];
        Assert.Equal("Conv", stem.OpType);
        Assert.Equal([3L, 3, 2, 2], stem.Ints("pads", []));
        Assert.Equal([64L, 3, 7, 7], model.Initializers[stem.Inputs[1]].Dims);
        long weights = model.Initializers.Values.Sum(t => (long)t.Data.Length);
        Assert.Equal(15_908_800, weights); // torchvision's ResNet-18 without fc has 11.2 M; CNTK's third layer4 block adds 4.7 M
    }

    [Fact]
    public void The_graph_maps_onto_torchvision_names_with_batch_norms_folded()
    {
        var files = ResNet18TestData.Files();
        var weights = ResNet18Weights.Load(files.OnnxPath);

        Assert.Equal(22, weights.Convs.Count);
        Assert.Equal([2, 2, 2, 3], weights.BlocksPerStage);
        Assert.Equal("conv1", weights.Convs[0].Key);
        string[] downsamples = [.. weights.Convs.Where(c => c.Key.EndsWith(".downsample.0", StringComparison.Ordinal)).Select(c => c.Key)];
        Assert.Equal(["layer2.0.downsample.0", "layer3.0.downsample.0", "layer4.0.downsample.0"], downsamples);
        Assert.Equal([512L, 512, 3, 3], weights.ByKey["layer4.1.conv2"].WeightShape);
        Assert.Equal([1L, 1, 0, 0], weights.ByKey["layer2.0.conv1"].Pads); // CNTK's asymmetric stride-2 padding
        Assert.Equal([1L, 1, 0, 0], weights.MaxPoolPads);
        Assert.StartsWith("Convolution249(Parameter91) + BatchNormalization251(Parameter96, Parameter97, Constant98, Constant99", weights.Convs[0].Source, StringComparison.Ordinal);
        Assert.All(weights.Convs, c => Assert.All(c.Bias, b => Assert.True(float.IsFinite(b))));
    }

    [Fact]
    public void Batch_norm_folding_matches_conv_then_batch_norm_on_the_raw_initializers()
    {
        var files = ResNet18TestData.Files();
        var model = OnnxModel.Load(files.OnnxPath);
        var folded = ResNet18Weights.FromModel(model, files.OnnxPath).ByKey["layer1.0.conv1"];
        string convName = folded.Source.Split('(')[0];
        var conv = model.Nodes.Single(n => n.OpType == "Conv" && n.Name == convName);
        var bn = model.Nodes.Single(n => n.OpType == "BatchNormalization" && n.Inputs[0] == conv.Outputs[0]);
        float[] w = model.Initializers[conv.Inputs[1]].Data;
        float[] scale = model.Initializers[bn.Inputs[1]].Data;
        float[] shift = model.Initializers[bn.Inputs[2]].Data;
        float[] mean = model.Initializers[bn.Inputs[3]].Data;
        float[] variance = model.Initializers[bn.Inputs[4]].Data;

        // One output value of conv + BN at a point, computed from the raw initializers, against the folded conv.
        var rng = new Random(7);
        var patch = Enumerable.Range(0, 64 * 9).Select(_ => (float)rng.NextDouble()).ToArray();
        for (int o = 0; o < 64; o += 9)
        {
            double raw = 0;
            double viaFolded = folded.Bias[o];
            for (int k = 0; k < patch.Length; k++)
            {
                raw += w[(o * patch.Length) + k] * patch[k];
                viaFolded += folded.Weight[(o * patch.Length) + k] * patch[k];
            }

            double expected = ((raw - mean[o]) / Math.Sqrt(variance[o] + 1e-5) * scale[o]) + shift[o];
            Assert.Equal(expected, viaFolded, 1e-4);
        }
    }

    [Fact]
    public void The_preprocessing_graph_reverses_RGB_to_BGR_and_subtracts_the_ImageNet_mean_image()
    {
        var files = ResNet18TestData.Files();
        var prep = ResNet18Preprocessing.Load(files.PreprocessPath);

        Assert.True(prep.ReversesChannels);
        Assert.Equal(224, prep.Size);
        Assert.Equal(3 * 224 * 224, prep.MeanImage.Length);
        Assert.Equal(103.06, prep.ChannelMean[0], 0.01); // B
        Assert.Equal(115.90, prep.ChannelMean[1], 0.01); // G
        Assert.Equal(123.15, prep.ChannelMean[2], 0.01); // R
    }

    [Fact]
    public void A_file_that_is_not_ONNX_is_rejected_with_its_name()
    {
        byte[] junk = [0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x01];
        var e = Assert.Throws<InvalidDataException>(() => OnnxModel.Parse(junk, "junk.onnx"));
        Assert.StartsWith("junk.onnx: not a readable ONNX model", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_preprocessing_graph_is_not_accepted_as_the_network()
    {
        var files = ResNet18TestData.Files();
        var e = Assert.Throws<InvalidDataException>(() => ResNet18Weights.Load(files.PreprocessPath));
        Assert.Contains("not the ResNet-18 graph", e.Message, StringComparison.Ordinal);
    }
}
