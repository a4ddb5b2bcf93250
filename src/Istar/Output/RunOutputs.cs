using Istar.Imaging;
using Istar.Input;
using Istar.Pipeline;
using Istar.Prediction;
using Istar.Training;

namespace Istar.Output;

/// <summary>Everything the analysis, map and report steps read from a finished run.</summary>
internal sealed record RunOutputs(
    RunContext Run,
    SpotSample Sample,
    string SlidePath,
    ScaledImage Scaled,
    bool[] Mask,
    MaskedBlockTable Counts,
    GenePanel Panel,
    TrainingSet Set,
    SpotFit Fit,
    ExpressionEnsemble Ensemble,
    ValidationReport? Validation,
    string MaskDirectory,
    BlockFrame Frame);

/// <summary>What the analysis step produced, for the report.</summary>
internal sealed class AnalysisSummary
{
    public string? ClustersPng { get; set; }

    public int Clusters { get; set; }

    public string? AnnotationPng { get; set; }

    public List<(string Gene, string Png)> Maps { get; } = [];

    public List<(string Label, int Blocks, string Colour)> AnnotationCounts { get; } = [];

    /// <summary>One row per cluster for the report's key: label, colour, blocks, genes most enriched in it.</summary>
    public List<(int Label, string Colour, long Blocks, IReadOnlyList<string> TopGenes)> ClusterKey { get; } = [];
}
