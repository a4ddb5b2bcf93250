using Istar.Imaging;
using Istar.Pipeline;

namespace Istar.Features;

/// <summary>
/// Turns a slide rescaled to the working pixel size into one C-vector per 16×16-px block. HIPT is one
/// implementation; texture and ResNet-18 extractors plug in the same way.
/// </summary>
public interface IFeatureExtractor
{
    /// <summary>Short name used in options, cache keys and provenance (e.g. "hipt", "texture").</summary>
    string Name { get; }

    /// <summary>Settings that change the output (mode, weights hash, precision): part of the content key.</summary>
    string SettingsKey { get; }

    /// <summary>Number of channels per block.</summary>
    int Channels { get; }

    /// <summary>
    /// Extracts features over the whole block grid of <paramref name="image"/>. <paramref name="tissueHint"/> (may be
    /// null) marks blocks worth computing; extractors may skip the rest (their vectors stay zero).
    /// </summary>
    FeatureGrid Extract(ScaledImage image, bool[]? tissueHint, IRunLog log, CancellationToken cancellation);
}
