using Istar.Analysis;
using Istar.Features;
using Istar.Pipeline;

namespace Istar.Masking;

/// <summary>Settings of the reference (iStar <c>get_mask.py</c>) tissue mask.</summary>
internal sealed record ReferenceMaskOptions
{
    /// <summary>Blocks dropped on every side before clustering (the attenuated shift-averaging border).</summary>
    public int Margin { get; init; } = 16;

    /// <summary>Components smaller than this (blocks) are merged into their neighbours (4000 = 0.256 mm² at 0.5 µm/px).</summary>
    public int MinConnected { get; init; } = 4000;

    /// <summary>Number of k-means restarts (scikit-learn 1.2/1.3: 10; ≥ 1.4: 1).</summary>
    public int KMeansInits { get; init; } = 10;

    /// <summary>Seed of the k-means stream.</summary>
    public ulong Seed { get; init; }
}

/// <summary>
/// The reference's feature-based tissue mask (spec §7), reproduced with its quirks: k-means (k = 2) on the unscaled
/// block features inside a 16-block margin, clusters renumbered by size, small-component cleanup, foreground = the
/// cluster whose pooled RGB values have the larger population standard deviation — where an empty cluster's NaN
/// standard deviation wins (NumPy <c>argmax</c> returns the first NaN), which makes the mask empty whenever the
/// cleanup merged everything into one cluster — and the margin padded with the inner mask's minimum.
/// Use <see cref="TissueMask"/> for the robust default.
/// </summary>
internal static class ReferenceMask
{
    /// <summary>Computes the mask over the whole block grid (row-major, Rows × Columns).</summary>
    public static bool[] Compute(FeatureGrid features, ReferenceMaskOptions options, IRunLog log, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(features);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(log);
        int m = options.Margin;
        int innerRows = features.Rows - (2 * m);
        int innerColumns = features.Columns - (2 * m);
        if (innerRows <= 0 || innerColumns <= 0)
        {
            log.Warn($"[mask] the block grid ({features.Rows} x {features.Columns}) is too small for a {m}-block margin; the reference mask is empty.");
            return new bool[features.BlockCount];
        }

        int[] labels = KMeansLabels(features, m, options, cancellation);
        float[] rgb = InnerRgb(features, m);
        return FromKMeansLabels(labels, innerRows, innerColumns, rgb, m, options.MinConnected);
    }

    /// <summary>
    /// The k-means stage: labels of the inner blocks (innerRows × innerColumns, row-major), 0 = larger cluster,
    /// −1 for blocks with a non-finite feature.
    /// </summary>
    public static int[] KMeansLabels(FeatureGrid features, int margin, ReferenceMaskOptions options, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(features);
        ArgumentNullException.ThrowIfNull(options);
        int innerRows = features.Rows - (2 * margin);
        int innerColumns = features.Columns - (2 * margin);
        int c = features.Channels;
        var finite = new bool[innerRows * innerColumns];
        int count = 0;
        for (int r = 0; r < innerRows; r++)
        {
            for (int col = 0; col < innerColumns; col++)
            {
                bool ok = true;
                foreach (float v in features.Block(r + margin, col + margin))
                {
                    if (!float.IsFinite(v))
                    {
                        ok = false;
                        break;
                    }
                }

                finite[(r * innerColumns) + col] = ok;
                count += ok ? 1 : 0;
            }
        }

        var x = new float[(long)count * c];
        int row = 0;
        for (int r = 0; r < innerRows; r++)
        {
            for (int col = 0; col < innerColumns; col++)
            {
                if (finite[(r * innerColumns) + col])
                {
                    features.Block(r + margin, col + margin).CopyTo(x.AsSpan(row++ * c, c));
                }
            }
        }

        var labels = new int[innerRows * innerColumns];
        Array.Fill(labels, -1);
        if (count < 2)
        {
            return labels;
        }

        var result = KMeans.Fit(x, count, c, new KMeansOptions { Clusters = 2, Inits = options.KMeansInits, Seed = options.Seed }, cancellation);
        int next = 0;
        for (int i = 0; i < labels.Length; i++)
        {
            if (finite[i])
            {
                labels[i] = result.Labels[next++];
            }
        }

        return labels;
    }

    /// <summary>
    /// Everything after k-means: small-component cleanup with <paramref name="minConnected"/>, the RGB-std foreground
    /// rule (NaN std of an empty cluster wins) and the margin padding.
    /// </summary>
    /// <param name="innerLabels">K-means labels of the inner blocks (0/1, −1 = excluded).</param>
    /// <param name="innerRows">Inner block rows.</param>
    /// <param name="innerColumns">Inner block columns.</param>
    /// <param name="innerRgb">RGB feature values of the inner blocks, interleaved (innerRows × innerColumns × 3).</param>
    /// <param name="margin">Margin width in blocks.</param>
    /// <param name="minConnected">Component-size threshold.</param>
    /// <returns>The mask over (innerRows + 2·margin) × (innerColumns + 2·margin) blocks.</returns>
    public static bool[] FromKMeansLabels(ReadOnlySpan<int> innerLabels, int innerRows, int innerColumns, ReadOnlySpan<float> innerRgb, int margin, int minConnected)
    {
        if (innerRgb.Length != innerLabels.Length * 3)
        {
            throw new ArgumentException("innerRgb must hold 3 values per inner block", nameof(innerRgb));
        }

        int[] labels = ConnectedComponents.RelabelSmall(innerLabels, innerRows, innerColumns, minConnected);
        int foreground = ForegroundCluster(labels, innerRgb, 2);
        int rows = innerRows + (2 * margin);
        int columns = innerColumns + (2 * margin);
        var mask = new bool[rows * columns];
        bool all = true;
        for (int i = 0; i < labels.Length; i++)
        {
            all &= labels[i] == foreground;
        }

        if (all)
        {
            Array.Fill(mask, true);
            return mask;
        }

        for (int r = 0; r < innerRows; r++)
        {
            for (int c = 0; c < innerColumns; c++)
            {
                mask[((r + margin) * columns) + c + margin] = labels[(r * innerColumns) + c] == foreground;
            }
        }

        return mask;
    }

    /// <summary>
    /// The reference's foreground rule: the cluster with the largest population std of its pooled RGB values;
    /// a NaN std (empty cluster) wins as NumPy's <c>argmax</c> makes it, first NaN first.
    /// </summary>
    internal static int ForegroundCluster(ReadOnlySpan<int> labels, ReadOnlySpan<float> rgb, int clusters)
    {
        int best = 0;
        double bestStd = double.NegativeInfinity;
        for (int k = 0; k < clusters; k++)
        {
            double sum = 0;
            long n = 0;
            for (int i = 0; i < labels.Length; i++)
            {
                if (labels[i] == k)
                {
                    sum += rgb[3 * i] + rgb[(3 * i) + 1] + rgb[(3 * i) + 2];
                    n += 3;
                }
            }

            double std = double.NaN;
            if (n > 0)
            {
                double mean = sum / n;
                double ss = 0;
                for (int i = 0; i < labels.Length; i++)
                {
                    if (labels[i] == k)
                    {
                        for (int ch = 0; ch < 3; ch++)
                        {
                            double e = rgb[(3 * i) + ch] - mean;
                            ss += e * e;
                        }
                    }
                }

                std = Math.Sqrt(ss / n);
            }

            if (double.IsNaN(std))
            {
                return k;
            }

            if (std > bestStd)
            {
                bestStd = std;
                best = k;
            }
        }

        return best;
    }

    /// <summary>The RGB channels: the group named "rgb" if the provenance lists one, else the last three channels.</summary>
    internal static int RgbStart(FeatureGrid features)
    {
        foreach (var g in features.Provenance.Groups)
        {
            if (g.Name == "rgb" && g.Count == 3)
            {
                return g.Start;
            }
        }

        return features.Channels - 3;
    }

    private static float[] InnerRgb(FeatureGrid features, int margin)
    {
        int innerRows = features.Rows - (2 * margin);
        int innerColumns = features.Columns - (2 * margin);
        int start = RgbStart(features);
        var rgb = new float[innerRows * innerColumns * 3];
        for (int r = 0; r < innerRows; r++)
        {
            for (int c = 0; c < innerColumns; c++)
            {
                var b = features.Block(r + margin, c + margin);
                int o = ((r * innerColumns) + c) * 3;
                rgb[o] = b[start];
                rgb[o + 1] = b[start + 1];
                rgb[o + 2] = b[start + 2];
            }
        }

        return rgb;
    }
}
