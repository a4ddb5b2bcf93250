using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Istar.Training;

/// <summary>
/// Adam (Kingma &amp; Ba; PyTorch's non-fused update, the reference's optimizer), step for step the same arithmetic
/// as <c>torch.optim.Adam</c> without weight decay or AMSGrad. Ours rather than TorchSharp's because TorchSharp's
/// passes its coefficients as temporary Scalars that a garbage collection can finalize mid-call (see
/// <see cref="TorchScalars"/>); here every coefficient lives until the step ends.
/// </summary>
internal sealed class AdamOptimizer : IDisposable
{
    private readonly Parameter[] _parameters;
    private readonly Tensor[] _firstMoment;
    private readonly Tensor[] _secondMoment;
    private readonly double _beta1;
    private readonly double _beta2;
    private readonly double _epsilon;
    private long _steps;

    public AdamOptimizer(IEnumerable<Parameter> parameters, double learningRate, double beta1 = 0.9, double beta2 = 0.999, double epsilon = 1e-8)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        _parameters = [.. parameters];
        _firstMoment = [.. _parameters.Select(p => zeros_like(p).DetachFromDisposeScope())];
        _secondMoment = [.. _parameters.Select(p => zeros_like(p).DetachFromDisposeScope())];
        LearningRate = learningRate;
        _beta1 = beta1;
        _beta2 = beta2;
        _epsilon = epsilon;
    }

    /// <summary>The learning rate of the next step (schedules set it before each step).</summary>
    public double LearningRate { get; set; }

    /// <summary>Zeroes the gradients that backward accumulates into.</summary>
    public void ZeroGrad()
    {
        foreach (var p in _parameters)
        {
            using var grad = p.grad;
            grad?.zero_();
        }
    }

    /// <summary>One update of every parameter from its current gradient.</summary>
    public void Step()
    {
        using var noGrad = no_grad();
        _steps++;
        double correction1 = 1 - Math.Pow(_beta1, _steps);
        double correction2 = 1 - Math.Pow(_beta2, _steps);
        using var beta1 = _beta1.ToScalar();
        using var oneMinusBeta1 = (1 - _beta1).ToScalar();
        using var beta2 = _beta2.ToScalar();
        using var oneMinusBeta2 = (1 - _beta2).ToScalar();
        using var correction2Root = Math.Sqrt(correction2).ToScalar();
        using var epsilon = _epsilon.ToScalar();
        using var stepSize = (-(LearningRate / correction1)).ToScalar();
        for (int i = 0; i < _parameters.Length; i++)
        {
            using var grad = _parameters[i].grad;
            if (grad is null)
            {
                continue;
            }

            _firstMoment[i].mul_(beta1).add_(grad, oneMinusBeta1);
            _secondMoment[i].mul_(beta2).addcmul_(grad, grad, oneMinusBeta2);
            using var root = _secondMoment[i].sqrt();
            using var denominator = root.div_(correction2Root).add_(epsilon, TorchScalars.One);
            _parameters[i].addcdiv_(_firstMoment[i], denominator, stepSize);
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (var t in _firstMoment.Concat(_secondMoment))
        {
            t.Dispose();
        }
    }
}
