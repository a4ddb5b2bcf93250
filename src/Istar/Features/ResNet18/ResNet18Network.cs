using TorchSharp;
using TorchSharp.Modules;
using TorchSharp.Utils;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace Istar.Features.ResNet18;

/// <summary>
/// ResNet-18 (CNTK's: 2, 2, 2, 3 basic blocks) with batch norms folded into the convolutions, shaped like torchvision's (state-dict keys
/// <c>conv1.weight</c>, <c>layer2.0.downsample.0.bias</c>, …) and padded exactly as the ONNX file says. The CNTK export
/// pads stride-2 layers asymmetrically (the 7×7 stem by 3 before and 2 after, the max-pool and stride-2 3×3 convs by 1
/// before and 0 after), so for an input of side n (a multiple of 32) layer k has side n / 2^(k+1) exactly, and cell i of
/// a stride-s layer is centred on input pixel s·i. Fully convolutional: any input size.
/// </summary>
internal sealed class ResNet18Network : nn.Module<Tensor, Tensor>
{
    [ComponentName(Name = "conv1")]
    private readonly PaddedConv _conv1;
    [ComponentName(Name = "layer1")]
    private readonly Sequential _layer1;
    [ComponentName(Name = "layer2")]
    private readonly Sequential _layer2;
    [ComponentName(Name = "layer3")]
    private readonly Sequential _layer3;
    [ComponentName(Name = "layer4")]
    private readonly Sequential _layer4;
    private readonly long[] _poolPad;

    /// <summary>Builds the network and copies the folded weights in.</summary>
    public ResNet18Network(ResNet18Weights weights)
        : base(nameof(ResNet18Network))
    {
        ArgumentNullException.ThrowIfNull(weights);
        _conv1 = new PaddedConv(weights.ByKey["conv1"]);
        _poolPad = TorchPad(weights.MaxPoolPads);
        _layer1 = Stage(weights, 1);
        _layer2 = Stage(weights, 2);
        _layer3 = Stage(weights, 3);
        _layer4 = Stage(weights, 4);
        RegisterComponents();
        Load(weights);
        eval();
    }

    /// <summary>The 512-d average-pooled vector (the ONNX output for a 224×224 input): (N, 512).</summary>
    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        var stages = Stages(input, 4);
        return stages[^1].mean([2, 3]).MoveToOuterDisposeScope();
    }

    /// <summary>Outputs of layer1 … layer<paramref name="deepest"/> (strides 4, 8, 16, 32; 64, 128, 256, 512 channels).</summary>
    public Tensor[] Stages(Tensor input, int deepest)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(deepest, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(deepest, 4);
        using var scope = NewDisposeScope();
        Tensor x = F.relu(_conv1.forward(input));

        // After a ReLU every value is ≥ 0, so zero padding is the same as the -inf padding of ONNX MaxPool.
        x = F.max_pool2d(F.pad(x, _poolPad), [3, 3], [2, 2]);
        var outputs = new Tensor[deepest];
        Sequential[] layers = [_layer1, _layer2, _layer3, _layer4];
        for (int k = 0; k < deepest; k++)
        {
            x = layers[k].forward(x);
            outputs[k] = x;
        }

        foreach (var t in outputs)
        {
            t.MoveToOuterDisposeScope();
        }

        return outputs;
    }

    /// <summary>ONNX pads (top, left, bottom, right) → torch pad order (left, right, top, bottom).</summary>
    internal static long[] TorchPad(long[] onnxPads) => [onnxPads[1], onnxPads[3], onnxPads[0], onnxPads[2]];

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _conv1.Dispose();
            _layer1.Dispose();
            _layer2.Dispose();
            _layer3.Dispose();
            _layer4.Dispose();
        }

        base.Dispose(disposing);
    }

    private static Sequential Stage(ResNet18Weights weights, int stage)
    {
        var blocks = new List<(string, nn.Module<Tensor, Tensor>)>();
        for (int b = 0; b < weights.BlocksPerStage[stage - 1]; b++)
        {
            blocks.Add((b.ToString(System.Globalization.CultureInfo.InvariantCulture), new BasicBlock(weights, $"layer{stage}.{b}")));
        }

        return nn.Sequential(blocks);
    }

    private void Load(ResNet18Weights weights)
    {
        var parameters = named_parameters().ToDictionary(p => p.name, p => p.parameter, StringComparer.Ordinal);
        var expected = new HashSet<string>(StringComparer.Ordinal);
        using (no_grad())
        {
            foreach (var conv in weights.Convs)
            {
                foreach (var (suffix, data, shape) in new[] { ("weight", conv.Weight, conv.WeightShape), ("bias", conv.Bias, new[] { conv.OutChannels }) })
                {
                    string key = conv.Key + "." + suffix;
                    expected.Add(key);
                    if (!parameters.TryGetValue(key, out var p) || !p.shape.SequenceEqual(shape))
                    {
                        throw new InvalidOperationException($"ResNet-18 parameter {key} ({string.Join('x', shape)}) has no slot of that shape in the network");
                    }

                    using var source = tensor(data).reshape(shape);
                    p.copy_(source);
                }
            }
        }

        var unset = parameters.Keys.Where(k => !expected.Contains(k)).ToList();
        if (unset.Count > 0)
        {
            throw new InvalidOperationException($"ResNet-18 parameters not loaded: {string.Join(", ", unset)}");
        }

        foreach (var p in parameters.Values)
        {
            p.requires_grad = false;
        }
    }
}

/// <summary>torchvision's BasicBlock without batch norms: relu(conv2(relu(conv1(x))) + downsample(x)).</summary>
internal sealed class BasicBlock : nn.Module<Tensor, Tensor>
{
    [ComponentName(Name = "conv1")]
    private readonly PaddedConv _conv1;
    [ComponentName(Name = "conv2")]
    private readonly PaddedConv _conv2;
    [ComponentName(Name = "downsample")]
    private readonly Sequential? _downsample;

    public BasicBlock(ResNet18Weights weights, string key)
        : base(nameof(BasicBlock))
    {
        _conv1 = new PaddedConv(weights.ByKey[key + ".conv1"]);
        _conv2 = new PaddedConv(weights.ByKey[key + ".conv2"]);
        if (weights.ByKey.TryGetValue(key + ".downsample.0", out var shortcut))
        {
            _downsample = nn.Sequential(("0", (nn.Module<Tensor, Tensor>)new PaddedConv(shortcut)));
        }

        RegisterComponents();
    }

    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        Tensor h = F.relu(_conv1.forward(input));
        h = _conv2.forward(h);
        Tensor identity = _downsample is null ? input : _downsample.forward(input);
        return F.relu(h.PlusInPlace(identity)).MoveToOuterDisposeScope();
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _conv1.Dispose();
            _conv2.Dispose();
            _downsample?.Dispose();
        }

        base.Dispose(disposing);
    }
}

/// <summary>
/// A convolution with bias and the ONNX file's padding: symmetric pads go to the convolution, asymmetric ones are an
/// explicit zero pad first. Parameters <c>weight</c> and <c>bias</c> sit directly on this module.
/// </summary>
internal sealed class PaddedConv : nn.Module<Tensor, Tensor>
{
    private readonly long[]? _pad;
    private readonly long _stride;
    private readonly long _padding;

    [ComponentName(Name = "weight")]
    private readonly Parameter _weight;
    [ComponentName(Name = "bias")]
    private readonly Parameter _bias;

    public PaddedConv(FoldedConv spec)
        : base(nameof(PaddedConv))
    {
        ArgumentNullException.ThrowIfNull(spec);
        _stride = spec.Stride;
        bool symmetric = spec.Pads.All(p => p == spec.Pads[0]);
        _padding = symmetric ? spec.Pads[0] : 0;
        _pad = symmetric ? null : ResNet18Network.TorchPad(spec.Pads);
        _weight = new Parameter(zeros(spec.WeightShape), requires_grad: false);
        _bias = new Parameter(zeros(spec.OutChannels), requires_grad: false);
        RegisterComponents();
    }

    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        Tensor x = _pad is null ? input : F.pad(input, _pad);
        return F.conv2d(x, _weight, _bias, strides: [_stride, _stride], padding: [_padding, _padding]).MoveToOuterDisposeScope();
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _weight.Dispose();
            _bias.Dispose();
        }

        base.Dispose(disposing);
    }
}
