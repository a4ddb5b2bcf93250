using System.Globalization;

namespace Istar.Features.ResNet18;

/// <summary>One convolution with its batch norm folded in: weight (out, in, k, k), bias (out), stride and ONNX pads.</summary>
/// <param name="Key">torchvision-style name, e.g. <c>layer2.0.downsample.0</c>.</param>
/// <param name="Pads">ONNX order: top, left, bottom, right.</param>
/// <param name="Source">The ONNX names it was built from, e.g. <c>Parameter91 + BatchNormalization251</c>.</param>
internal sealed record FoldedConv(string Key, long[] WeightShape, float[] Weight, float[] Bias, int Stride, long[] Pads, string Source)
{
    /// <summary>Output channels.</summary>
    public long OutChannels => WeightShape[0];

    /// <summary>Input channels.</summary>
    public long InChannels => WeightShape[1];

    /// <summary>Kernel size (square).</summary>
    public int Kernel => (int)WeightShape[2];
}

/// <summary>
/// The ResNet-18 of <c>ResNet18.onnx</c> (CNTK export, shipped by Microsoft.ML.DnnImageFeaturizer.ResNet18) read into
/// torchvision's layout: every Conv + BatchNormalization pair folded into one convolution with bias, named like
/// torchvision's <c>resnet18</c> (<c>conv1</c>, <c>layer{1..4}.{0,1}.conv{1,2}</c>, <c>layer{2..4}.0.downsample.0</c>).
/// The mapping is found by walking the graph (not by ONNX names), and every step is checked, so another file with
/// the same topology also loads and anything else fails with a clear message.
/// </summary>
internal sealed class ResNet18Weights
{
    /// <summary>Output channels per stage.</summary>
    public static readonly int[] StageChannels = [64, 128, 256, 512];

    private ResNet18Weights(IReadOnlyList<FoldedConv> convs, IReadOnlyList<int> blocksPerStage, long[] poolPads, string producer, string inputName, string outputName)
    {
        Convs = convs;
        BlocksPerStage = blocksPerStage;
        ByKey = convs.ToDictionary(c => c.Key, StringComparer.Ordinal);
        MaxPoolPads = poolPads;
        Producer = producer;
        InputName = inputName;
        OutputName = outputName;
    }

    /// <summary>
    /// Residual blocks per stage as found in the file: 2, 2, 2, 3 for CNTK's ResNet-18 (torchvision's has 2, 2, 2, 2;
    /// CNTK's <c>create_imagenet_model_basic</c> stacks one extra block in the last stage).
    /// </summary>
    public IReadOnlyList<int> BlocksPerStage { get; }

    /// <summary>All folded convolutions in graph order (22 for CNTK's ResNet-18).</summary>
    public IReadOnlyList<FoldedConv> Convs { get; }

    /// <summary>Folded convolutions by torchvision key.</summary>
    public IReadOnlyDictionary<string, FoldedConv> ByKey { get; }

    /// <summary>Pads of the stem max-pool (ONNX order).</summary>
    public long[] MaxPoolPads { get; }

    /// <summary>Producer of the file, e.g. <c>CNTK 2.6</c>.</summary>
    public string Producer { get; }

    /// <summary>Name of the graph input (NCHW, BGR minus the mean image).</summary>
    public string InputName { get; }

    /// <summary>Name of the graph output (the 512-d average-pooled vector).</summary>
    public string OutputName { get; }

    /// <summary>Reads and maps <paramref name="path"/>; a file that is not this network is an <see cref="InvalidDataException"/>.</summary>
    public static ResNet18Weights Load(string path) => FromModel(OnnxModel.Load(path), path);

    /// <summary>Maps a parsed model.</summary>
    public static ResNet18Weights FromModel(OnnxModel model, string source)
    {
        var walker = new GraphWalker(model, source);
        return walker.Walk();
    }

    private sealed class GraphWalker
    {
        private readonly OnnxModel _model;
        private readonly string _source;
        private readonly Dictionary<string, List<OnnxNode>> _consumers = new(StringComparer.Ordinal);
        private readonly List<FoldedConv> _convs = [];

        public GraphWalker(OnnxModel model, string source)
        {
            _model = model;
            _source = source;
            foreach (var node in model.Nodes)
            {
                foreach (string input in node.Inputs)
                {
                    if (!_consumers.TryGetValue(input, out var list))
                    {
                        _consumers[input] = list = [];
                    }

                    if (!list.Contains(node))
                    {
                        list.Add(node);
                    }
                }
            }
        }

        public ResNet18Weights Walk()
        {
            if (_model.Inputs.Count != 1 || _model.Outputs.Count != 1)
            {
                throw Fail($"expected one input and one output, found {_model.Inputs.Count} and {_model.Outputs.Count}");
            }

            string input = _model.Inputs[0].Name;
            var stem = Single(input, "Conv");
            string x = Fold(stem, "conv1", expectedIn: 3, expectedOut: 64, expectedKernel: 7, expectedStride: 2);
            x = Single(x, "Relu").Outputs[0];
            var pool = Single(x, "MaxPool");
            if (!pool.Ints("kernel_shape", []).SequenceEqual([3L, 3L]) || !pool.Ints("strides", []).SequenceEqual([2L, 2L]))
            {
                throw Fail($"stem pool {pool.Name} is not a 3x3 stride-2 max-pool");
            }

            long[] poolPads = Pads(pool);
            x = pool.Outputs[0];
            var blocks = new List<int> { 0 };
            while (!Consumers(x).Any(n => n.OpType == "AveragePool"))
            {
                // A block whose input feeds two convolutions (3x3 main, 1x1 shortcut) starts a new stage: stride 2, channels x2.
                bool downsample = Consumers(x).Count(n => n.OpType == "Conv") == 2;
                if (downsample)
                {
                    blocks.Add(0);
                }

                int stage = blocks.Count;
                if (stage > StageChannels.Length || blocks[^1] > 8)
                {
                    throw Fail($"more than {StageChannels.Length} stages or 8 blocks per stage");
                }

                long inChannels = downsample ? StageChannels[stage - 2] : StageChannels[stage - 1];
                x = Block($"layer{stage}.{blocks[^1]}", x, inChannels, StageChannels[stage - 1], downsample ? 2 : 1);
                blocks[^1]++;
            }

            if (blocks.Count != StageChannels.Length || blocks.Any(b => b == 0))
            {
                throw Fail($"expected 4 stages of residual blocks, found {string.Join(", ", blocks)} blocks");
            }

            var avg = Single(x, "AveragePool");
            if (avg.Outputs[0] != _model.Outputs[0].Name)
            {
                throw Fail($"the average pool {avg.Name} is not the graph output {_model.Outputs[0].Name}");
            }

            return new ResNet18Weights(_convs, blocks, poolPads, _model.Producer, input, _model.Outputs[0].Name);
        }

        private string Block(string key, string x, long inChannels, long outChannels, int stride)
        {
            var convs = Consumers(x).Where(n => n.OpType == "Conv").ToList();
            OnnxNode? shortcut = null;
            OnnxNode main;
            if (stride == 1 && inChannels == outChannels)
            {
                if (convs.Count != 1)
                {
                    throw Fail($"{key}: expected one convolution reading {x}, found {convs.Count}");
                }

                main = convs[0];
            }
            else
            {
                if (convs.Count != 2)
                {
                    throw Fail($"{key}: expected a main and a downsample convolution reading {x}, found {convs.Count}");
                }

                shortcut = convs.Single(c => KernelOf(c) == 1);
                main = convs.Single(c => KernelOf(c) == 3);
            }

            string h = Fold(main, key + ".conv1", inChannels, outChannels, 3, stride);
            h = Single(h, "Relu").Outputs[0];
            h = Fold(Single(h, "Conv"), key + ".conv2", outChannels, outChannels, 3, 1);
            string identity = shortcut is null ? x : Fold(shortcut, key + ".downsample.0", inChannels, outChannels, 1, stride);
            var add = Single(h, "Add");
            if (!add.Inputs.Contains(identity) || add.Inputs.Count != 2)
            {
                throw Fail($"{key}: the residual {add.Name} does not add {identity}");
            }

            return Single(add.Outputs[0], "Relu").Outputs[0];
        }

        /// <summary>Folds Conv → BatchNormalization into one convolution; returns the batch norm's output name.</summary>
        private string Fold(OnnxNode conv, string key, long expectedIn, long expectedOut, int expectedKernel, int expectedStride)
        {
            if (conv.OpType != "Conv" || conv.Inputs.Count < 2)
            {
                throw Fail($"{key}: expected a convolution, found {conv.OpType} {conv.Name}");
            }

            var w = Initializer(conv.Inputs[1], key);
            float[]? convBias = conv.Inputs.Count > 2 ? Initializer(conv.Inputs[2], key).Data : null;
            long[] strides = conv.Ints("strides", [1, 1]);
            if (w.Dims.Length != 4 || w.Dims[0] != expectedOut || w.Dims[1] != expectedIn || w.Dims[2] != expectedKernel || w.Dims[3] != expectedKernel)
            {
                throw Fail($"{key}: weight {w.Name} is {w.Shape}, expected {expectedOut}x{expectedIn}x{expectedKernel}x{expectedKernel}");
            }

            if (strides.Length != 2 || strides[0] != expectedStride || strides[1] != expectedStride || conv.Int("group", 1) != 1
                || !conv.Ints("dilations", [1, 1]).All(d => d == 1))
            {
                throw Fail($"{key}: {conv.Name} has strides {string.Join(',', strides)}, expected {expectedStride} (no groups, no dilation)");
            }

            var bn = Single(conv.Outputs[0], "BatchNormalization");
            if (bn.Inputs.Count != 5)
            {
                throw Fail($"{key}: batch norm {bn.Name} has {bn.Inputs.Count} inputs, expected 5");
            }

            float[] scale = Initializer(bn.Inputs[1], key).Data;
            float[] shift = Initializer(bn.Inputs[2], key).Data;
            float[] mean = Initializer(bn.Inputs[3], key).Data;
            float[] variance = Initializer(bn.Inputs[4], key).Data;
            double epsilon = bn.Float("epsilon", 1e-5f);
            int outCh = (int)expectedOut;
            if (scale.Length != outCh || shift.Length != outCh || mean.Length != outCh || variance.Length != outCh)
            {
                throw Fail($"{key}: batch norm {bn.Name} parameters are not {outCh} long");
            }

            // y = scale * (conv(x) + b - mean) / sqrt(var + eps) + shift  =  conv'(x) + b'
            int perOut = w.Data.Length / outCh;
            var weight = new float[w.Data.Length];
            var bias = new float[outCh];
            for (int o = 0; o < outCh; o++)
            {
                double factor = scale[o] / Math.Sqrt(variance[o] + epsilon);
                for (int k = 0; k < perOut; k++)
                {
                    weight[(o * perOut) + k] = (float)(w.Data[(o * perOut) + k] * factor);
                }

                bias[o] = (float)((((convBias?[o] ?? 0.0) - mean[o]) * factor) + shift[o]);
            }

            string sourceNames = string.Create(CultureInfo.InvariantCulture, $"{conv.Name}({w.Name}) + {bn.Name}({string.Join(", ", bn.Inputs.Skip(1))}; eps {epsilon:g3})");
            _convs.Add(new FoldedConv(key, w.Dims, weight, bias, expectedStride, Pads(conv), sourceNames));
            return bn.Outputs[0];
        }

        private static int KernelOf(OnnxNode conv) => (int)conv.Ints("kernel_shape", [0])[0];

        private long[] Pads(OnnxNode node)
        {
            if (node.String("auto_pad", "NOTSET") is not ("NOTSET" or ""))
            {
                throw Fail($"{node.Name} uses auto_pad {node.String("auto_pad", string.Empty)}; only explicit pads are supported");
            }

            long[] pads = node.Ints("pads", [0, 0, 0, 0]);
            if (pads.Length != 4 || pads.Any(p => p < 0))
            {
                throw Fail($"{node.Name} has pads {string.Join(',', pads)}, expected four non-negative values");
            }

            return pads;
        }

        private OnnxTensor Initializer(string name, string key) =>
            _model.Initializers.TryGetValue(name, out var t) ? t : throw Fail($"{key}: {name} is not an initializer");

        private List<OnnxNode> Consumers(string value) => _consumers.TryGetValue(value, out var list) ? list : [];

        /// <summary>The one node of <paramref name="opType"/> that reads <paramref name="value"/> (a residual branch may add an Add).</summary>
        private OnnxNode Single(string value, string opType)
        {
            var consumers = Consumers(value);
            var found = consumers.Where(n => n.OpType == opType).ToList();
            if (found.Count != 1)
            {
                string seen = consumers.Count == 0 ? "nothing" : string.Join(", ", consumers.Select(n => $"{n.OpType} {n.Name}"));
                throw Fail($"expected one {opType} reading {value}, found {seen}");
            }

            return found[0];
        }

        private InvalidDataException Fail(string problem) =>
            new($"{_source}: not the ResNet-18 graph this extractor reads: {problem}");
    }
}
