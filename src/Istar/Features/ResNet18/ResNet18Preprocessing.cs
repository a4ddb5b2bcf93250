namespace Istar.Features.ResNet18;

/// <summary>
/// What <c>ResNetPreprocess.onnx</c> does to ML.NET's RGB pixel planes (0–255) before ResNet-18: Split the three
/// channels, Concat them in reverse (RGB → BGR), and Sub a 1×3×224×224 mean image (the CNTK ImageNet mean, BGR).
/// The graph is checked to be exactly that; <see cref="ChannelMean"/> is the mean image averaged over pixels, the
/// form that applies to inputs of any size.
/// </summary>
internal sealed class ResNet18Preprocessing
{
    private ResNet18Preprocessing(float[] meanImage, int size, bool reverses)
    {
        MeanImage = meanImage;
        Size = size;
        ReversesChannels = reverses;
        ChannelMean = new float[3];
        int plane = size * size;
        for (int c = 0; c < 3; c++)
        {
            double sum = 0;
            for (int i = 0; i < plane; i++)
            {
                sum += meanImage[(c * plane) + i];
            }

            ChannelMean[c] = (float)(sum / plane);
        }
    }

    /// <summary>The mean image, 3 × Size × Size in network order (BGR).</summary>
    public float[] MeanImage { get; }

    /// <summary>Side of the mean image (224).</summary>
    public int Size { get; }

    /// <summary>True when the network sees B, G, R (the preprocessing reverses ML.NET's R, G, B planes).</summary>
    public bool ReversesChannels { get; }

    /// <summary>Per-channel mean of <see cref="MeanImage"/> in network order (B, G, R), 0–255 scale.</summary>
    public float[] ChannelMean { get; }

    /// <summary>Reads and checks <paramref name="path"/>.</summary>
    public static ResNet18Preprocessing Load(string path) => FromModel(OnnxModel.Load(path), path);

    /// <summary>Checks a parsed preprocessing model.</summary>
    public static ResNet18Preprocessing FromModel(OnnxModel model, string source)
    {
        InvalidDataException Fail(string problem) => new($"{source}: not the ResNet preprocessing graph this extractor reads: {problem}");

        if (model.Inputs.Count != 1 || model.Outputs.Count != 1)
        {
            throw Fail("expected one input and one output");
        }

        var split = model.Nodes.SingleOrDefault(n => n.OpType == "Split") ?? throw Fail("no Split node");
        var concat = model.Nodes.SingleOrDefault(n => n.OpType == "Concat") ?? throw Fail("no Concat node");
        var sub = model.Nodes.SingleOrDefault(n => n.OpType == "Sub") ?? throw Fail("no Sub node");
        if (model.Nodes.Count != 3 || split.Inputs[0] != model.Inputs[0].Name || split.Int("axis", 0) != 1 || concat.Int("axis", 0) != 1
            || split.Outputs.Count != 3 || concat.Inputs.Count != 3 || sub.Outputs[0] != model.Outputs[0].Name || sub.Inputs[0] != concat.Outputs[0])
        {
            throw Fail("expected Split(axis 1) → Concat(axis 1) → Sub(mean) from input to output");
        }

        bool reverses = concat.Inputs.SequenceEqual(split.Outputs.Reverse());
        if (!reverses && !concat.Inputs.SequenceEqual(split.Outputs))
        {
            throw Fail($"the Concat order {string.Join(",", concat.Inputs)} is neither RGB nor BGR");
        }

        if (!model.Initializers.TryGetValue(sub.Inputs[1], out var mean) || mean.Dims.Length != 4 || mean.Dims[0] != 1 || mean.Dims[1] != 3 || mean.Dims[2] != mean.Dims[3])
        {
            throw Fail($"the subtracted {sub.Inputs[1]} is not a 1x3xSxS initializer");
        }

        return new ResNet18Preprocessing(mean.Data, (int)mean.Dims[2], reverses);
    }
}
