using Istar.Input;
using Istar.Pipeline;

namespace Istar.Analysis;

/// <summary>A marker table: which genes mark which label (cell type or tissue), read from a TSV with columns <c>gene</c> and <c>label</c>.</summary>
public sealed class MarkerPanel
{
    /// <summary>Wraps (gene, label) pairs.</summary>
    public MarkerPanel(IReadOnlyList<(string Gene, string Label)> markers)
    {
        ArgumentNullException.ThrowIfNull(markers);
        Markers = markers;
    }

    /// <summary>The (gene, label) pairs in file order.</summary>
    public IReadOnlyList<(string Gene, string Label)> Markers { get; }

    /// <summary>Distinct labels in ordinal order (the reference's <c>np.sort</c> of the unique labels).</summary>
    public IReadOnlyList<string> Labels()
    {
        var set = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var (_, label) in Markers)
        {
            set.Add(label);
        }

        return [.. set];
    }

    /// <summary>Genes of one label, distinct, in file order.</summary>
    public IReadOnlyList<string> GenesOf(string label)
    {
        var genes = new List<string>();
        foreach (var (gene, l) in Markers)
        {
            if (l == label && !genes.Contains(gene))
            {
                genes.Add(gene);
            }
        }

        return genes;
    }

    /// <summary>Reads a tab-separated marker table with a header naming <c>gene</c> and <c>label</c> (other columns ignored).</summary>
    public static MarkerPanel Read(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (!File.Exists(path))
        {
            throw new InputException(path, "the marker table does not exist.", "Pass a TSV with columns 'gene' and 'label'.");
        }

        using var reader = new StreamReader(path);
        string? header = reader.ReadLine();
        if (header is null)
        {
            throw new InputException(path, "the marker table is empty.", "The first line must be a header with columns 'gene' and 'label'.");
        }

        string[] names = header.Split('\t');
        int gi = Array.FindIndex(names, n => n.Trim().Trim('"') == "gene");
        int li = Array.FindIndex(names, n => n.Trim().Trim('"') == "label");
        if (gi < 0 || li < 0)
        {
            throw new InputException(path + ":1", $"the header has no '{(gi < 0 ? "gene" : "label")}' column (found: {string.Join(", ", names)}).", "Use a tab-separated header with columns 'gene' and 'label'.");
        }

        var markers = new List<(string, string)>();
        int line = 1;
        string? text;
        while ((text = reader.ReadLine()) is not null)
        {
            line++;
            if (text.Length == 0)
            {
                continue;
            }

            string[] f = text.Split('\t');
            if (f.Length <= Math.Max(gi, li))
            {
                throw new InputException($"{path}:{line}", $"expected at least {Math.Max(gi, li) + 1} tab-separated fields, found {f.Length}.", "Separate columns with tabs.");
            }

            string gene = f[gi].Trim().Trim('"');
            string label = f[li].Trim().Trim('"');
            if (gene.Length == 0 || label.Length == 0)
            {
                throw new InputException($"{path}:{line}", "empty gene or label.");
            }

            markers.Add((gene, label));
        }

        if (markers.Count == 0)
        {
            throw new InputException(path, "the marker table lists no markers.", "Add one line per (gene, label) pair below the header.");
        }

        return new MarkerPanel(markers);
    }
}

/// <summary>Per-block marker scores of every label and the resulting annotation.</summary>
public sealed class AnnotationResult
{
    internal AnnotationResult(IReadOnlyList<string> labels, float[] scores, int blocks)
    {
        Labels = labels;
        Scores = scores;
        int k = labels.Count;
        Confidence = new float[blocks];
        Best = new int[blocks];
        for (int i = 0; i < blocks; i++)
        {
            int best = -1;
            float max = float.NegativeInfinity;
            bool finite = k > 0;
            for (int l = 0; l < k; l++)
            {
                float s = scores[(i * k) + l];
                finite &= float.IsFinite(s);
                if (s > max)
                {
                    max = s;
                    best = l;
                }
            }

            Confidence[i] = k > 0 ? max : float.NaN;
            Best[i] = finite ? best : -1;
        }
    }

    /// <summary>The scored labels (ordinal order; labels without any predicted gene are left out).</summary>
    public IReadOnlyList<string> Labels { get; }

    /// <summary>Blocks × Labels scores in [0, 1]: mean of the label's min–max-normalised genes.</summary>
    public float[] Scores { get; }

    /// <summary>Highest score of each block.</summary>
    public float[] Confidence { get; }

    /// <summary>Index into <see cref="Labels"/> of the highest score (first on ties), −1 if a score is not finite.</summary>
    public int[] Best { get; }

    /// <summary>"Unclassified" followed by <see cref="Labels"/>: the names of <see cref="Thresholded"/> values.</summary>
    public IReadOnlyList<string> NamesWithUnclassified => ["Unclassified", .. Labels];

    /// <summary>The reference's output labels for a threshold: best label + 1, and 0 (Unclassified) where confidence &lt; threshold.</summary>
    public int[] Thresholded(double threshold)
    {
        var result = new int[Best.Length];
        for (int i = 0; i < result.Length; i++)
        {
            int l = Best[i] >= 0 ? Best[i] + 1 : Best[i];
            result[i] = Confidence[i] < threshold ? 0 : l;
        }

        return result;
    }
}

/// <summary>
/// Marker-based annotation of the super-resolved predictions (spec §12.4, <c>pixannot.py</c> and <c>marker_score.py</c>):
/// each gene is min–max normalised over the blocks in the mask (minus the minimum, divided by the maximum + 1e-12),
/// a label's score is the mean over its genes, the label of a block is the best-scoring one and its confidence that
/// score.
/// </summary>
public static class MarkerAnnotation
{
    /// <summary>The thresholds the reference writes outputs for (threshold010 … threshold200).</summary>
    public static IReadOnlyList<double> ReferenceThresholds { get; } = [0.01, 0.05, 0.10, 0.20];

    /// <summary>Scores every label of <paramref name="panel"/>; genes not predicted are reported and skipped.</summary>
    public static AnnotationResult Annotate(BlockPredictions predictions, MarkerPanel panel, IRunLog log)
    {
        ArgumentNullException.ThrowIfNull(predictions);
        ArgumentNullException.ThrowIfNull(panel);
        ArgumentNullException.ThrowIfNull(log);
        var labels = new List<string>();
        var columns = new List<float[]>();
        foreach (string label in panel.Labels())
        {
            int[] genes = Resolve(predictions, panel.GenesOf(label), $"label '{label}'", log);
            if (genes.Length == 0)
            {
                log.Warn($"[annotate] label '{label}': none of its marker genes is among the predicted genes; the label is left out.");
                continue;
            }

            labels.Add(label);
            columns.Add(Score(predictions, genes));
        }

        int n = predictions.Count;
        int k = labels.Count;
        var scores = new float[n * k];
        for (int l = 0; l < k; l++)
        {
            for (int i = 0; i < n; i++)
            {
                scores[(i * k) + l] = columns[l][i];
            }
        }

        return new AnnotationResult(labels, scores, n);
    }

    /// <summary>
    /// A signature score for a gene list (<c>marker_score.py</c>): genes whose maximum prediction is below
    /// <paramref name="threshold"/> are dropped, the rest scored as in <see cref="Annotate"/>; with
    /// <paramref name="clip"/> the score is clipped to its 0.1 % and 99.9 % quantiles (NumPy linear interpolation).
    /// </summary>
    public static float[] SignatureScore(BlockPredictions predictions, IEnumerable<string> genes, IRunLog log, double threshold = 1e-3, bool clip = true)
    {
        ArgumentNullException.ThrowIfNull(predictions);
        ArgumentNullException.ThrowIfNull(genes);
        ArgumentNullException.ThrowIfNull(log);
        int[] found = Resolve(predictions, genes.Distinct(StringComparer.Ordinal).ToList(), "signature", log);
        var kept = new List<int>();
        var dropped = new List<string>();
        foreach (int g in found)
        {
            float max = float.NegativeInfinity;
            for (int i = 0; i < predictions.Count; i++)
            {
                max = Math.Max(max, predictions.Values[(i * predictions.GeneCount) + g]);
            }

            if (max >= threshold)
            {
                kept.Add(g);
            }
            else
            {
                dropped.Add(predictions.Genes[g]);
            }
        }

        if (dropped.Count > 0)
        {
            log.Warn($"[score] genes below the threshold {threshold:G3} left out: {string.Join(", ", dropped)}");
        }

        if (kept.Count == 0)
        {
            throw new InputException("signature", "no gene of the signature is predicted above the threshold.", "Check the gene names against the predicted genes.");
        }

        float[] score = Score(predictions, [.. kept]);
        if (clip && score.Length > 0)
        {
            var sorted = (float[])score.Clone();
            Array.Sort(sorted);
            double lo = Quantile(sorted, 0.001);
            double hi = Quantile(sorted, 0.999);
            for (int i = 0; i < score.Length; i++)
            {
                score[i] = (float)Math.Clamp(score[i], lo, hi);
            }
        }

        return score;
    }

    /// <summary>NumPy's default (linear) quantile of sorted values.</summary>
    internal static double Quantile(ReadOnlySpan<float> sorted, double q)
    {
        double pos = q * (sorted.Length - 1);
        int lo = (int)Math.Floor(pos);
        int hi = Math.Min(lo + 1, sorted.Length - 1);
        double frac = pos - lo;
        return sorted[lo] + ((sorted[hi] - sorted[lo]) * frac);
    }

    /// <summary>Mean over <paramref name="genes"/> of each gene min–max normalised over the blocks.</summary>
    internal static float[] Score(BlockPredictions predictions, int[] genes)
    {
        int n = predictions.Count;
        int d = predictions.GeneCount;
        var sum = new double[n];
        foreach (int g in genes)
        {
            double min = double.PositiveInfinity;
            double max = double.NegativeInfinity;
            for (int i = 0; i < n; i++)
            {
                double v = predictions.Values[(i * d) + g];
                min = Math.Min(min, v);
                max = Math.Max(max, v);
            }

            double scale = (max - min) + 1e-12;
            for (int i = 0; i < n; i++)
            {
                sum[i] += (predictions.Values[(i * d) + g] - min) / scale;
            }
        }

        var score = new float[n];
        for (int i = 0; i < n; i++)
        {
            score[i] = (float)(sum[i] / genes.Length);
        }

        return score;
    }

    private static int[] Resolve(BlockPredictions predictions, IReadOnlyList<string> genes, string what, IRunLog log)
    {
        var found = new List<int>();
        var missing = new List<string>();
        foreach (string gene in genes)
        {
            int g = predictions.GeneIndex(gene);
            if (g >= 0)
            {
                found.Add(g);
            }
            else
            {
                missing.Add(gene);
            }
        }

        if (missing.Count > 0 && found.Count > 0)
        {
            log.Warn($"[annotate] {what}: marker genes not among the predicted genes: {string.Join(", ", missing)}");
        }

        return [.. found];
    }
}
