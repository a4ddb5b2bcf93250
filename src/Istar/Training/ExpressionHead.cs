using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Istar.Training;

/// <summary>
/// The per-block MLP of iStar's <c>ForwardSumModel</c> (spec §10.2) for S ensemble members at once:
/// 579 → 256 → 256 → 256 → 256 (LeakyReLU 0.1) → G with <c>ELU(α = 0.01)(z) + 0.01</c>. Parameters are named as the
/// reference's state dict (<c>net_lat.0.linear.weight</c> … <c>net_out.linear.bias</c>) with a leading member axis:
/// weights S × out × in, biases S × out. Members never interact: a batched matmul applies each to its own inputs.
/// </summary>
internal sealed class ExpressionHead : nn.Module<Tensor, Tensor>
{
    /// <summary>Width of the hidden layers.</summary>
    public const int Hidden = 256;

    /// <summary>Number of hidden layers (the latent trunk).</summary>
    public const int Depth = 4;

    // Process-lifetime scalars (see TorchScalars): LeakyReLU slope, ELU α and the output floor of spec §10.2.
    private static readonly Scalar LeakySlope = 0.1.ToScalar();
    private static readonly Scalar EluAlpha = 0.01.ToScalar();
    private static readonly Scalar OutputFloor = 0.01.ToScalar();

    private readonly ModuleList<FeedForward> _lat;
    private readonly FeedForward _out;

    public ExpressionHead(int members, int inputs, int outputs)
        : base(nameof(ExpressionHead))
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(members);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(inputs);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(outputs);
        Members = members;
        Inputs = inputs;
        Outputs = outputs;
        var layers = new List<FeedForward>();
        for (int l = 0; l < Depth; l++)
        {
            layers.Add(new FeedForward(members, l == 0 ? inputs : Hidden, Hidden));
        }

        _lat = new ModuleList<FeedForward>(layers.ToArray());
        _out = new FeedForward(members, Hidden, outputs);
        register_module("net_lat", _lat);
        register_module("net_out", _out);
    }

    public int Members { get; }

    public int Inputs { get; }

    public int Outputs { get; }

    /// <summary>Parameter names of one member as in the reference's state dict, in registration order.</summary>
    public static IEnumerable<string> ReferenceNames()
    {
        for (int l = 0; l < Depth; l++)
        {
            yield return $"net_lat.{l}.linear.weight";
            yield return $"net_lat.{l}.linear.bias";
        }

        yield return "net_out.linear.weight";
        yield return "net_out.linear.bias";
    }

    /// <summary>PyTorch's default Linear init for one member, U(−1/√fan_in, 1/√fan_in) for weights and biases, from its own generator.</summary>
    public void ResetMember(int member, Generator generator)
    {
        foreach (var layer in Layers())
        {
            layer.Linear.ResetMember(member, generator);
        }
    }

    /// <summary>Sets one member's parameters from reference-named arrays (Linear layout out × in; biases of length out).</summary>
    public void LoadMember(int member, IReadOnlyDictionary<string, float[]> state)
    {
        ArgumentNullException.ThrowIfNull(state);
        var layers = Layers().ToList();
        for (int l = 0; l < layers.Count; l++)
        {
            string prefix = l < Depth ? $"net_lat.{l}.linear." : "net_out.linear.";
            layers[l].Linear.SetMember(member, state[prefix + "weight"], state[prefix + "bias"]);
        }
    }

    /// <summary>One member's parameters under the reference's names (weights out × in row-major, biases of length out).</summary>
    public Dictionary<string, float[]> ExportMember(int member)
    {
        var result = new Dictionary<string, float[]>(StringComparer.Ordinal);
        var layers = Layers().ToList();
        for (int l = 0; l < layers.Count; l++)
        {
            string prefix = l < Depth ? $"net_lat.{l}.linear." : "net_out.linear.";
            var (w, b) = layers[l].Linear.GetMember(member);
            result[prefix + "weight"] = w;
            result[prefix + "bias"] = b;
        }

        return result;
    }

    private IEnumerable<FeedForward> Layers()
    {
        foreach (var layer in _lat)
        {
            yield return layer;
        }

        yield return _out;
    }

    /// <summary>Latent trunk: S × N × in (or N × in, shared by all members) → S × N × 256.</summary>
    public Tensor Latent(Tensor x)
    {
        var h = x;
        foreach (var layer in _lat)
        {
            using var pre = layer.forward(h);
            var next = pre.leaky_relu(LeakySlope);
            if (!ReferenceEquals(h, x))
            {
                h.Dispose();
            }

            h = next;
        }

        return h;
    }

    /// <summary>Output head on a latent: S × N × 256 → S × N × G, <c>ELU(α 0.01) + 0.01</c>.</summary>
    public Tensor Head(Tensor latent)
    {
        using var z = _out.forward(latent);
        using var e = z.elu(EluAlpha, TorchScalars.One, TorchScalars.One);
        return e.add(OutputFloor, TorchScalars.One);
    }

    /// <inheritdoc />
    public override Tensor forward(Tensor input)
    {
        using var latent = Latent(input);
        return Head(latent);
    }

    /// <summary>One layer: weights S × out × in, biases S × out; <c>x · Wᵀ + b</c> per member.</summary>
    internal sealed class FeedForward : nn.Module<Tensor, Tensor>
    {
        private readonly BatchedLinear _linear;

        public FeedForward(int members, int inputs, int outputs)
            : base(nameof(FeedForward))
        {
            _linear = new BatchedLinear(members, inputs, outputs);
            register_module("linear", _linear);
        }

        public BatchedLinear Linear => _linear;

        public override Tensor forward(Tensor input) => _linear.forward(input);
    }

    internal sealed class BatchedLinear : nn.Module<Tensor, Tensor>
    {
        private readonly Parameter _weight;
        private readonly Parameter _bias;

        public BatchedLinear(int members, int inputs, int outputs)
            : base(nameof(BatchedLinear))
        {
            _weight = new Parameter(zeros(members, outputs, inputs));
            _bias = new Parameter(zeros(members, 1, outputs));
            register_parameter("weight", _weight);
            register_parameter("bias", _bias);
            Inputs = inputs;
            Outputs = outputs;
        }

        public int Inputs { get; }

        public int Outputs { get; }

        public void ResetMember(int member, Generator generator)
        {
            using var noGrad = no_grad();
            double bound = 1.0 / Math.Sqrt(Inputs);
            using var wm = _weight[member];
            using var bm = _bias[member];
            using (var u = rand(wm.shape, generator: generator))
            {
                wm.copy_(u.mul_(2 * bound).sub_(bound));
            }

            using (var u = rand(bm.shape, generator: generator))
            {
                bm.copy_(u.mul_(2 * bound).sub_(bound));
            }
        }

        public void SetMember(int member, float[] weight, float[] bias)
        {
            if (weight.Length != Inputs * Outputs || bias.Length != Outputs)
            {
                throw new ArgumentException($"expected a {Outputs} x {Inputs} weight and {Outputs} biases");
            }

            using var noGrad = no_grad();
            using var w = tensor(weight, Outputs, Inputs);
            using var b = tensor(bias, 1, Outputs);
            using var wm = _weight[member];
            using var bm = _bias[member];
            wm.copy_(w);
            bm.copy_(b);
        }

        public (float[] Weight, float[] Bias) GetMember(int member)
        {
            using var noGrad = no_grad();
            using var wm = _weight[member].contiguous();
            using var bm = _bias[member].contiguous();
            return (wm.data<float>().ToArray(), bm.data<float>().ToArray());
        }

        public override Tensor forward(Tensor input)
        {
            long members = _weight.shape[0];
            if (input.dim() == 2)
            {
                // N × in shared by all members: one GEMM against all members' weights side by side.
                using var all = _weight.reshape(members * Outputs, Inputs).t();
                using var shared = input.matmul(all);
                using var split = shared.view(-1, members, Outputs).permute(1, 0, 2);
                return split.Plus(_bias);
            }

            using var wt = _weight.transpose(1, 2);
            using var product = matmul(input, wt);
            return product.Plus(_bias);
        }
    }
}
