namespace Istar;

/// <summary>Which numerics a run follows.</summary>
public enum IstarPreset
{
    /// <summary>Our defaults: the reference's defects fixed, far less work (see docs/differences.md).</summary>
    Fast,
    /// <summary>The reference's numerics, checked against golden fixtures (slow: 16 shifts, 400 epochs).</summary>
    Faithful,
}

/// <summary>Every knob of a run. Defaults are the fast preset.</summary>
public sealed record IstarOptions
{
    /// <summary>The preset; individual options below override it where set.</summary>
    public IstarPreset Preset { get; init; } = IstarPreset.Fast;

    /// <summary>Working pixel size in µm/px (0.5 = HIPT's 20× pretraining scale; 16-px blocks are then 8 µm).</summary>
    public double TargetMicronsPerPixel { get; init; } = 0.5;

    /// <summary>Feature extractor: "hipt", "texture" or "resnet18".</summary>
    public string Features { get; init; } = "hipt";

    /// <summary>HIPT ViT-256 checkpoint (null = the weights folder).</summary>
    public string? Hipt256Path { get; init; }

    /// <summary>HIPT ViT-4K checkpoint (null = the weights folder).</summary>
    public string? Hipt4kPath { get; init; }

    /// <summary>Number of genes chosen by the panel selector when <see cref="Genes"/> is null.</summary>
    public int TopGenes { get; init; } = 1000;

    /// <summary>Gene-selection flavour: "variance" (reference) or "seurat_v3".</summary>
    public string GeneSelection { get; init; } = "variance";

    /// <summary>An explicit gene panel (null = select).</summary>
    public IReadOnlyList<string>? Genes { get; init; }

    /// <summary>Genes added to the selected panel.</summary>
    public IReadOnlyList<string>? ExtraGenes { get; init; }

    /// <summary>Training epochs (null = the preset's).</summary>
    public int? Epochs { get; init; }

    /// <summary>Ensemble size.</summary>
    public int States { get; init; } = 5;

    /// <summary>Seed for every random choice (initialisation, shuffling, k-means, hold-out).</summary>
    public int Seed { get; init; }

    /// <summary>A user tissue mask image (null = detect).</summary>
    public string? MaskPath { get; init; }

    /// <summary>Fraction of spots held out for validation (0 = none).</summary>
    public double ValidateFraction { get; init; }

    /// <summary>"cpu" or "cuda" (CUDA only where present).</summary>
    public string Device { get; init; } = "cpu";

    /// <summary>"fp32" or "bf16" for feature extraction.</summary>
    public string Precision { get; init; } = "fp32";

    /// <summary>Torch threads (0 = all cores).</summary>
    public int Threads { get; init; }

    /// <summary>Number of clusters of the super-resolved output (0 = skip clustering).</summary>
    public int Clusters { get; init; } = 10;

    /// <summary>Marker table (gene, label) for annotation (null = skip).</summary>
    public string? MarkersPath { get; init; }

    /// <summary>Write per-gene <c>.npy</c> grids in the reference's <c>cnts-super/</c> layout as well.</summary>
    public bool ExportNpy { get; init; }

    /// <summary>
    /// Stop after this stage ("features", "mask", "train"; null = run everything), for users who script the steps as
    /// the reference's users do. Every stage before it is cached as usual.
    /// </summary>
    public string? StopAfter { get; init; }

    /// <summary>Write the feature grid as <c>cls.npy</c>/<c>sub.npy</c>/<c>rgb.npy</c> (C × Hb × Wb float32, the reference's layout) to this folder.</summary>
    public string? ExportFeaturesDirectory { get; init; }

    /// <summary>The cache folder (null = <c>&lt;output&gt;/.istar-cache</c>).</summary>
    public string? CacheDirectory { get; init; }

    /// <summary>Evaluation hook: train on another set of spots (see <see cref="Training.TrainingSetOverride"/>; null = the sample's).</summary>
    internal Training.TrainingSetOverride? TrainOn { get; init; }
}
