using static TorchSharp.torch;

namespace Istar.Training;

/// <summary>
/// A trained ensemble: the member networks plus what prediction needs to map features in and counts out — the
/// feature standardization (if any), per-gene count min/max of the training spots and the nominal footprint size.
/// </summary>
internal sealed class ExpressionEnsemble : IDisposable
{
    private readonly ExpressionHead[] _heads;
    private readonly Tensor? _featureMean;
    private readonly Tensor? _featureInverseStd;
    private bool _disposed;

    internal ExpressionEnsemble(
        ExpressionHead[] heads,
        float[]? featureMean,
        float[]? featureStd,
        IReadOnlyList<string> geneNames,
        float[] countMin,
        float[] countMax,
        double nominalFootprintSize,
        IReadOnlyList<float[]> epochLoss,
        TrainingOptions options)
    {
        _heads = heads;
        foreach (var h in heads)
        {
            h.eval();
        }

        if (featureMean is not null && featureStd is not null)
        {
            _featureMean = tensor(featureMean, 1, featureMean.Length);
            _featureInverseStd = tensor(featureStd.Select(s => 1f / s).ToArray(), 1, featureStd.Length);
        }

        FeatureMean = featureMean;
        FeatureStd = featureStd;
        GeneNames = geneNames;
        CountMin = countMin;
        CountMax = countMax;
        NominalFootprintSize = nominalFootprintSize;
        EpochLoss = epochLoss;
        Options = options;
        Members = heads.Sum(h => h.Members);
        Channels = heads[0].Inputs;
    }

    /// <summary>Number of members (states).</summary>
    public int Members { get; }

    /// <summary>Feature channels expected.</summary>
    public int Channels { get; }

    /// <summary>Genes, in output order.</summary>
    public IReadOnlyList<string> GeneNames { get; }

    /// <summary>Per-gene minimum raw count over the training spots.</summary>
    public float[] CountMin { get; }

    /// <summary>Per-gene maximum raw count over the training spots.</summary>
    public float[] CountMax { get; }

    /// <summary>Per-channel feature mean used for standardization, or null.</summary>
    public float[]? FeatureMean { get; }

    /// <summary>Per-channel feature standard deviation used for standardization, or null.</summary>
    public float[]? FeatureStd { get; }

    /// <summary>Divisor that turns a spot-level count into counts per block (37 for a Visium reference disk).</summary>
    public double NominalFootprintSize { get; }

    /// <summary>Mean training loss per epoch, per training group (one per state, or one for all members together).</summary>
    public IReadOnlyList<float[]> EpochLoss { get; }

    /// <summary>The options it was trained with.</summary>
    public TrainingOptions Options { get; }

    /// <summary>The member networks (one head per state, or one head holding all members).</summary>
    internal IReadOnlyList<ExpressionHead> Heads => _heads;

    /// <summary>Genes.</summary>
    public int GeneCount => GeneNames.Count;

    /// <summary>Features N × C (raw, as on the grid) → min–max-normalized predictions S × N × G (no grad).</summary>
    public Tensor PredictNormalized(Tensor features)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentNullException.ThrowIfNull(features);
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        var x = Standardize(features);
        var parts = _heads.Select(h => h.forward(x)).ToArray();
        var result = parts.Length == 1 ? parts[0] : cat(parts, 0);
        return result.MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Features N × C → normalized predictions S × N × G and the members' latents (trunk outputs) S × N × 256 (no grad).
    /// </summary>
    public (Tensor Normalized, Tensor Latent) PredictWithLatent(Tensor features)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentNullException.ThrowIfNull(features);
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        var x = Standardize(features);
        var latents = _heads.Select(h => h.Latent(x)).ToArray();
        var outputs = _heads.Select((h, k) => h.Head(latents[k])).ToArray();
        var latent = latents.Length == 1 ? latents[0] : cat(latents, 0);
        var normalized = outputs.Length == 1 ? outputs[0] : cat(outputs, 0);
        return (normalized.MoveToOuterDisposeScope(), latent.MoveToOuterDisposeScope());
    }

    /// <summary>Applies the training standardization (a new tensor, or the input itself when there is none).</summary>
    internal Tensor Standardize(Tensor features) =>
        _featureMean is null ? features : features.sub(_featureMean).mul_(_featureInverseStd!);

    /// <inheritdoc />
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        foreach (var h in _heads)
        {
            h.Dispose();
        }

        _featureMean?.Dispose();
        _featureInverseStd?.Dispose();
    }
}
