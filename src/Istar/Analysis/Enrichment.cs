using System.Globalization;
using System.Text;

namespace Istar.Analysis;

/// <summary>
/// Enrichment of annotation labels in clusters (spec §12.4, <c>enrich.py</c>): the joint block proportions of
/// clusters × labels, odds ratios OR_ij = p_ij · Σ_{not i, not j} p / (Σ_{i, not j} p · Σ_{not i, j} p), and the
/// reported log2 table (the "Unclassified" label dropped, OR &lt; 2^0.05 shown as NA, rows = labels).
/// </summary>
internal static class Enrichment
{
    /// <summary>Clusters × Labels block counts over blocks where both are ≥ 0, normalised to sum 1.</summary>
    public static double[,] Proportions(ReadOnlySpan<int> clusters, ReadOnlySpan<int> labels)
    {
        if (clusters.Length != labels.Length)
        {
            throw new ArgumentException("clusters and labels must cover the same blocks", nameof(labels));
        }

        int n0 = 0;
        int n1 = 0;
        for (int i = 0; i < clusters.Length; i++)
        {
            n0 = Math.Max(n0, clusters[i] + 1);
            n1 = Math.Max(n1, labels[i] + 1);
        }

        var p = new double[n0, n1];
        long total = 0;
        for (int i = 0; i < clusters.Length; i++)
        {
            if (clusters[i] >= 0 && labels[i] >= 0)
            {
                p[clusters[i], labels[i]]++;
                total++;
            }
        }

        if (total > 0)
        {
            for (int a = 0; a < n0; a++)
            {
                for (int b = 0; b < n1; b++)
                {
                    p[a, b] /= total;
                }
            }
        }

        return p;
    }

    /// <summary>Odds ratio of every (cluster, label) cell of a proportion table.</summary>
    public static double[,] OddsRatios(double[,] p)
    {
        ArgumentNullException.ThrowIfNull(p);
        int n0 = p.GetLength(0);
        int n1 = p.GetLength(1);
        var rowSum = new double[n0];
        var colSum = new double[n1];
        double total = 0;
        for (int i = 0; i < n0; i++)
        {
            for (int j = 0; j < n1; j++)
            {
                rowSum[i] += p[i, j];
                colSum[j] += p[i, j];
                total += p[i, j];
            }
        }

        var or = new double[n0, n1];
        for (int i = 0; i < n0; i++)
        {
            for (int j = 0; j < n1; j++)
            {
                double inRowNotCol = rowSum[i] - p[i, j];
                double inColNotRow = colSum[j] - p[i, j];
                double neither = total - rowSum[i] - colSum[j] + p[i, j];
                or[i, j] = p[i, j] * neither / (inRowNotCol * inColNotRow);
            }
        }

        return or;
    }

    /// <summary>
    /// The reported table: log2 odds ratios, rows = labels except <paramref name="dropLabel"/> (by name), columns =
    /// clusters, NaN where OR &lt; 2^0.05.
    /// </summary>
    public static (double[,] Log2, IReadOnlyList<string> Labels) Report(double[,] oddsRatios, IReadOnlyList<string> labelNames, string dropLabel = "Unclassified")
    {
        ArgumentNullException.ThrowIfNull(oddsRatios);
        ArgumentNullException.ThrowIfNull(labelNames);
        int n0 = oddsRatios.GetLength(0);
        var keep = new List<int>();
        for (int j = 0; j < oddsRatios.GetLength(1); j++)
        {
            if (j >= labelNames.Count || labelNames[j] != dropLabel)
            {
                keep.Add(j);
            }
        }

        double threshold = Math.Pow(2, 0.05);
        var table = new double[keep.Count, n0];
        for (int r = 0; r < keep.Count; r++)
        {
            for (int c = 0; c < n0; c++)
            {
                double v = oddsRatios[c, keep[r]];
                table[r, c] = v < threshold || double.IsNaN(v) ? double.NaN : Math.Log2(v);
            }
        }

        return (table, keep.ConvertAll(j => j < labelNames.Count ? labelNames[j] : j.ToString(CultureInfo.InvariantCulture)));
    }

    /// <summary>Writes the report as <c>enrichment.csv</c> (comma-separated, NA for missing; header = cluster ids).</summary>
    public static void WriteCsv(string path, double[,] log2, IReadOnlyList<string> labels)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(log2);
        ArgumentNullException.ThrowIfNull(labels);
        var sb = new StringBuilder();
        for (int c = 0; c < log2.GetLength(1); c++)
        {
            sb.Append(',').Append(c.ToString(CultureInfo.InvariantCulture));
        }

        sb.Append('\n');
        for (int r = 0; r < log2.GetLength(0); r++)
        {
            sb.Append(labels[r]);
            for (int c = 0; c < log2.GetLength(1); c++)
            {
                double v = log2[r, c];
                sb.Append(',').Append(double.IsNaN(v) ? "NA" : v.ToString("R", CultureInfo.InvariantCulture));
            }

            sb.Append('\n');
        }

        File.WriteAllText(path, sb.ToString());
    }
}
