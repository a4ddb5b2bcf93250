using Istar.Input;
using Istar.Pipeline;

namespace Istar.Training;

/// <summary>How the gene panel is chosen.</summary>
internal enum GeneRanking
{
    /// <summary>Sample variance (ddof 1) of raw counts, descending (the reference, spec §8).</summary>
    Variance,

    /// <summary>scanpy <c>highly_variable_genes(flavor='seurat_v3')</c>: clipped standardized variance.</summary>
    SeuratV3,
}

/// <summary>The genes to model, in output channel order, with their column indices in the sample's count matrix.</summary>
internal sealed record GenePanel(IReadOnlyList<string> Names, IReadOnlyList<int> Indices)
{
    /// <summary>Number of genes.</summary>
    public int Count => Names.Count;
}

/// <summary>
/// Chooses the gene panel (spec §8). Ties in the ranking are broken by the input column order (earlier first) — the
/// reference uses NumPy's unstable quicksort, whose order among exactly tied scores is unspecified.
/// </summary>
internal static class GenePanelSelector
{
    /// <summary>The reference's default panel size.</summary>
    public const int DefaultTop = 1000;

    /// <summary>Sample variance (ddof 1) of each column over rows, in float64 (pandas <c>DataFrame.var</c>).</summary>
    public static double[] Variances(SparseCounts counts)
    {
        ArgumentNullException.ThrowIfNull(counts);
        var (mean, variance) = MeanVariance(counts);
        _ = mean;
        return variance;
    }

    /// <summary>
    /// The top <paramref name="top"/> genes by <paramref name="ranking"/>, then <paramref name="extra"/> genes prepended
    /// (reference <c>--extra</c>: those already selected are not repeated; the rest come first, in the given order).
    /// Unknown extra names are an <see cref="InputException"/> listing them, unless <paramref name="faithful"/>, where
    /// they are dropped with a warning as the reference does silently.
    /// </summary>
    public static GenePanel Select(
        SparseCounts counts,
        IReadOnlyList<string> geneNames,
        int top = DefaultTop,
        GeneRanking ranking = GeneRanking.Variance,
        IReadOnlyList<string>? extra = null,
        bool faithful = false,
        IRunLog? log = null,
        string extraLocation = "--extra-genes")
    {
        ArgumentNullException.ThrowIfNull(counts);
        ArgumentNullException.ThrowIfNull(geneNames);
        if (geneNames.Count != counts.Columns)
        {
            throw new ArgumentException("one gene name per count column is required", nameof(geneNames));
        }

        ArgumentOutOfRangeException.ThrowIfNegative(top);
        log ??= SilentRunLog.Instance;
        double[] score = ranking == GeneRanking.SeuratV3 ? SeuratV3Scores(counts) : Variances(counts);
        int keep = Math.Min(top, counts.Columns);
        if (top > counts.Columns)
        {
            log.Warn($"{top} genes requested but the sample has {counts.Columns}; using all of them.");
        }

        int[] order = RankDescending(score);
        var selected = order.Take(keep).ToList();
        if (extra is { Count: > 0 })
        {
            var index = IndexOf(geneNames);
            var chosen = new HashSet<int>(selected);
            var prepend = new List<int>();
            var unknown = new List<string>();
            foreach (string name in extra)
            {
                if (!index.TryGetValue(name, out int g))
                {
                    unknown.Add(name);
                }
                else if (chosen.Add(g))
                {
                    prepend.Add(g);
                }
            }

            if (unknown.Count > 0)
            {
                if (!faithful)
                {
                    throw new InputException(extraLocation, $"{unknown.Count} gene(s) not in the sample: {string.Join(", ", unknown)}.", "Check the spelling (names are case-sensitive) or remove them.");
                }

                log.Warn($"{extraLocation}: {unknown.Count} gene(s) not in the sample were ignored: {string.Join(", ", unknown)}.");
            }

            selected = [.. prepend, .. selected];
        }

        if (selected.Count == 0)
        {
            throw new InputException("--n-genes", "the gene panel is empty.", "Ask for at least one gene.");
        }

        return new GenePanel(selected.Select(g => geneNames[g]).ToList(), selected);
    }

    /// <summary>An explicit panel in the given order. Unknown names are an <see cref="InputException"/> listing them; duplicates are dropped with a warning.</summary>
    public static GenePanel Explicit(IReadOnlyList<string> geneNames, IReadOnlyList<string> wanted, IRunLog? log = null, string location = "--genes")
    {
        ArgumentNullException.ThrowIfNull(geneNames);
        ArgumentNullException.ThrowIfNull(wanted);
        log ??= SilentRunLog.Instance;
        var index = IndexOf(geneNames);
        var unknown = wanted.Where(w => !index.ContainsKey(w)).Distinct(StringComparer.Ordinal).ToList();
        if (unknown.Count > 0)
        {
            throw new InputException(location, $"{unknown.Count} gene(s) not in the sample: {string.Join(", ", unknown)}.", "Check the spelling (names are case-sensitive) or remove them.");
        }

        var seen = new HashSet<int>();
        var selected = new List<int>();
        int duplicates = 0;
        foreach (string w in wanted)
        {
            if (seen.Add(index[w]))
            {
                selected.Add(index[w]);
            }
            else
            {
                duplicates++;
            }
        }

        if (duplicates > 0)
        {
            log.Warn($"{location}: {duplicates} repeated gene name(s) ignored.");
        }

        if (selected.Count == 0)
        {
            throw new InputException(location, "no genes given.", "List at least one gene.");
        }

        return new GenePanel(selected.Select(g => geneNames[g]).ToList(), selected);
    }

    /// <summary>Reads a gene list: one name per line (blank lines and lines starting with '#' skipped), or a comma-separated list.</summary>
    public static IReadOnlyList<string> ParseList(string listOrFile)
    {
        ArgumentNullException.ThrowIfNull(listOrFile);
        if (File.Exists(listOrFile))
        {
            return File.ReadAllLines(listOrFile).Select(l => l.Trim()).Where(l => l.Length > 0 && !l.StartsWith('#')).ToList();
        }

        return listOrFile.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
    }

    /// <summary>Indices sorted by score descending; ties (and NaN, last) by index ascending.</summary>
    public static int[] RankDescending(double[] score)
    {
        ArgumentNullException.ThrowIfNull(score);
        var order = Enumerable.Range(0, score.Length).ToArray();
        Array.Sort(order, (a, b) =>
        {
            double sa = double.IsNaN(score[a]) ? double.NegativeInfinity : score[a];
            double sb = double.IsNaN(score[b]) ? double.NegativeInfinity : score[b];
            int c = sb.CompareTo(sa);
            return c != 0 ? c : a.CompareTo(b);
        });
        return order;
    }

    /// <summary>
    /// scanpy <c>seurat_v3</c> (single batch) scores: fit log10(variance) against log10(mean) of the non-constant genes
    /// by local quadratic regression (loess, span 0.3), clip each count at <c>mean + sqrt(N)·σ_reg</c> and return the
    /// variance of the standardized clipped counts. The loess is scikit-misc's default (the kd-tree surface
    /// interpolated between local fits at its vertices, <see cref="Loess"/>), which is what scanpy uses.
    /// </summary>
    public static double[] SeuratV3Scores(SparseCounts counts, double span = 0.3)
    {
        ArgumentNullException.ThrowIfNull(counts);
        var (mean, variance) = MeanVariance(counts);
        int n = counts.Rows;
        int genes = counts.Columns;
        var nonConstant = Enumerable.Range(0, genes).Where(g => variance[g] > 0).ToArray();
        var estimate = new double[genes];
        if (nonConstant.Length > 0)
        {
            double[] x = nonConstant.Select(g => Math.Log10(mean[g])).ToArray();
            double[] y = nonConstant.Select(g => Math.Log10(variance[g])).ToArray();
            double[] fitted = Loess.Fit(x, y, span);
            for (int k = 0; k < nonConstant.Length; k++)
            {
                estimate[nonConstant[k]] = fitted[k];
            }
        }

        var regStd = new double[genes];
        var clip = new double[genes];
        double vmax = Math.Sqrt(n);
        for (int g = 0; g < genes; g++)
        {
            regStd[g] = Math.Sqrt(Math.Pow(10, estimate[g]));
            clip[g] = (regStd[g] * vmax) + mean[g];
        }

        var sum = new double[genes];
        var sumSq = new double[genes];
        for (int r = 0; r < n; r++)
        {
            for (long k = counts.RowPointers[r]; k < counts.RowPointers[r + 1]; k++)
            {
                int g = counts.ColumnIndices[k];
                double v = Math.Min(counts.Values[k], clip[g]);
                sum[g] += v;
                sumSq[g] += v * v;
            }
        }

        var score = new double[genes];
        for (int g = 0; g < genes; g++)
        {
            score[g] = 1.0 / ((n - 1) * regStd[g] * regStd[g]) * ((n * mean[g] * mean[g]) + sumSq[g] - (2 * sum[g] * mean[g]));
        }

        return score;
    }

    private static (double[] Mean, double[] Variance) MeanVariance(SparseCounts counts)
    {
        int n = counts.Rows;
        int genes = counts.Columns;
        var sum = new double[genes];
        for (long k = 0; k < counts.Values.LongLength; k++)
        {
            sum[counts.ColumnIndices[k]] += counts.Values[k];
        }

        var mean = new double[genes];
        for (int g = 0; g < genes; g++)
        {
            mean[g] = n > 0 ? sum[g] / n : double.NaN;
        }

        // Two-pass: squared deviations of stored values plus the zeros' (mean²) share.
        var ss = new double[genes];
        var nnz = new long[genes];
        for (long k = 0; k < counts.Values.LongLength; k++)
        {
            int g = counts.ColumnIndices[k];
            double d = counts.Values[k] - mean[g];
            ss[g] += d * d;
            nnz[g]++;
        }

        var variance = new double[genes];
        for (int g = 0; g < genes; g++)
        {
            ss[g] += (n - nnz[g]) * mean[g] * mean[g];
            variance[g] = n > 1 ? ss[g] / (n - 1) : double.NaN;
        }

        return (mean, variance);
    }

    private static Dictionary<string, int> IndexOf(IReadOnlyList<string> names)
    {
        var index = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int g = 0; g < names.Count; g++)
        {
            index.TryAdd(names[g], g);
        }

        return index;
    }
}
