using System.Globalization;
using System.Text;

namespace Istar.Analysis;

/// <summary>Per-cluster, per-gene block statistics of the predictions (<c>aggregate_imputed.py</c> / <c>reorganize_imputed.py</c>).</summary>
public sealed class ClusterAggregate
{
    internal ClusterAggregate(int[] clusters, IReadOnlyList<string> genes, long[] count, double[] mean, double[] variance)
    {
        Clusters = clusters;
        Genes = genes;
        Count = count;
        Mean = mean;
        Variance = variance;
    }

    /// <summary>Cluster labels (≥ 0) present, ascending.</summary>
    public int[] Clusters { get; }

    /// <summary>Gene names.</summary>
    public IReadOnlyList<string> Genes { get; }

    /// <summary>Blocks per cluster (the same for every gene).</summary>
    public long[] Count { get; }

    /// <summary>Clusters × Genes means.</summary>
    public double[] Mean { get; }

    /// <summary>Clusters × Genes population variances (ddof 0).</summary>
    public double[] Variance { get; }

    /// <summary>round(mean · count), half to even: the reference's <c>sum.tsv</c>.</summary>
    public long[] Sum()
    {
        int g = Genes.Count;
        var sum = new long[Mean.Length];
        for (int k = 0; k < Clusters.Length; k++)
        {
            for (int j = 0; j < g; j++)
            {
                sum[(k * g) + j] = (long)Math.Round(Mean[(k * g) + j] * Count[k], MidpointRounding.ToEven);
            }
        }

        return sum;
    }
}

/// <summary>One cluster-versus-rest comparison per cluster and gene.</summary>
public sealed class DifferentialResult
{
    internal DifferentialResult(ClusterAggregate aggregate)
    {
        Aggregate = aggregate;
        int n = aggregate.Mean.Length;
        MeanInterior = new double[n];
        MeanExterior = new double[n];
        VarianceInterior = new double[n];
        VarianceExterior = new double[n];
        CountInterior = new long[n];
        CountExterior = new long[n];
        FoldChange = new double[n];
        PValue = new double[n];
    }

    /// <summary>The statistics compared.</summary>
    public ClusterAggregate Aggregate { get; }

    /// <summary>Cluster mean divided by √V (V = count-weighted mean of the within-cluster variances), Clusters × Genes.</summary>
    public double[] MeanInterior { get; }

    /// <summary>Mean of the other clusters' blocks, divided by √V.</summary>
    public double[] MeanExterior { get; }

    /// <summary>Cluster variance divided by V.</summary>
    public double[] VarianceInterior { get; }

    /// <summary>Variance of the other clusters' blocks (within + between clusters), divided by V.</summary>
    public double[] VarianceExterior { get; }

    /// <summary>Blocks in the cluster.</summary>
    public long[] CountInterior { get; }

    /// <summary>Blocks in the other clusters.</summary>
    public long[] CountExterior { get; }

    /// <summary>mean_in / mean_out.</summary>
    public double[] FoldChange { get; }

    /// <summary>One-sided p-value of a z-test that the cluster mean is higher: 1 − Φ(z).</summary>
    public double[] PValue { get; }
}

/// <summary>
/// Cluster aggregation and cluster-versus-rest differential expression (spec §12.3, <c>differential.py</c>), with the
/// reference's defect fixed (spec §16.19): the reference's exterior mean Σ_{k≠i} w_k·mean_k uses the weights
/// w_k = count_k / Σ_all count, which do not sum to one over the exterior, so the exterior mean is shrunk by the
/// factor (1 − w_i) and fold changes are inflated; and its exterior variance Σ w_k·mean_k² − mean_out² ignores the
/// within-cluster variances. Here the exterior weights are renormalised, w'_k = count_k / Σ_{k≠i} count_k, the
/// exterior mean is the mean of all exterior blocks, Σ w'_k·mean_k, and the exterior variance is their exact
/// population variance by the law of total variance, Σ w'_k·var_k + Σ w'_k·mean_k² − mean_out².
/// <see cref="Compare(ClusterAggregate, bool)"/> with <c>referenceDefect: true</c> reproduces the reference instead.
/// </summary>
public static class Differential
{
    /// <summary>Count, mean and population variance of every gene in every cluster (labels &lt; 0 ignored).</summary>
    public static ClusterAggregate Aggregate(BlockPredictions predictions, ReadOnlySpan<int> blockLabels)
    {
        ArgumentNullException.ThrowIfNull(predictions);
        if (blockLabels.Length != predictions.Count)
        {
            throw new ArgumentException("one label per prediction row is needed", nameof(blockLabels));
        }

        var present = new SortedSet<int>();
        foreach (int l in blockLabels)
        {
            if (l >= 0)
            {
                present.Add(l);
            }
        }

        int[] clusters = [.. present];
        var index = new Dictionary<int, int>();
        for (int k = 0; k < clusters.Length; k++)
        {
            index[clusters[k]] = k;
        }

        int g = predictions.GeneCount;
        var count = new long[clusters.Length];
        var mean = new double[clusters.Length * g];
        var m2 = new double[clusters.Length * g];
        for (int i = 0; i < predictions.Count; i++)
        {
            if (blockLabels[i] < 0)
            {
                continue;
            }

            int k = index[blockLabels[i]];
            long c = ++count[k];
            var row = predictions.Block(i);
            for (int j = 0; j < g; j++)
            {
                // Welford.
                double delta = row[j] - mean[(k * g) + j];
                mean[(k * g) + j] += delta / c;
                m2[(k * g) + j] += delta * (row[j] - mean[(k * g) + j]);
            }
        }

        for (int k = 0; k < clusters.Length; k++)
        {
            for (int j = 0; j < g; j++)
            {
                m2[(k * g) + j] /= count[k];
            }
        }

        return new ClusterAggregate(clusters, predictions.Genes, count, mean, m2);
    }

    /// <summary>Compares every cluster with the rest, gene by gene.</summary>
    /// <param name="aggregate">Per-cluster statistics.</param>
    /// <param name="referenceDefect">Reproduce the reference's unnormalised exterior weights and between-only exterior variance.</param>
    public static DifferentialResult Compare(ClusterAggregate aggregate, bool referenceDefect = false)
    {
        ArgumentNullException.ThrowIfNull(aggregate);
        var result = new DifferentialResult(aggregate);
        int kk = aggregate.Clusters.Length;
        int g = aggregate.Genes.Count;
        long total = 0;
        foreach (long c in aggregate.Count)
        {
            total += c;
        }

        for (int j = 0; j < g; j++)
        {
            double pooled = 0;
            for (int k = 0; k < kk; k++)
            {
                pooled += aggregate.Variance[(k * g) + j] * aggregate.Count[k] / total;
            }

            double sd = Math.Sqrt(pooled);
            for (int i = 0; i < kk; i++)
            {
                int at = (i * g) + j;
                long countOut = total - aggregate.Count[i];
                double meanOut = 0;
                double secondOut = 0;
                double withinOut = 0;
                for (int k = 0; k < kk; k++)
                {
                    if (k == i)
                    {
                        continue;
                    }

                    double w = referenceDefect ? aggregate.Count[k] / (double)total : aggregate.Count[k] / (double)countOut;
                    double m = aggregate.Mean[(k * g) + j] / sd;
                    meanOut += w * m;
                    secondOut += w * m * m;
                    withinOut += w * aggregate.Variance[(k * g) + j] / (pooled + 1e-12);
                }

                double varOut = secondOut - (meanOut * meanOut) + (referenceDefect ? 0 : withinOut);
                double meanIn = aggregate.Mean[at] / sd;
                double varIn = aggregate.Variance[at] / (pooled + 1e-12);
                result.MeanInterior[at] = meanIn;
                result.MeanExterior[at] = meanOut;
                result.VarianceInterior[at] = varIn;
                result.VarianceExterior[at] = varOut;
                result.CountInterior[at] = aggregate.Count[i];
                result.CountExterior[at] = countOut;
                result.FoldChange[at] = meanIn / meanOut;
                double std = Math.Sqrt((varOut / countOut) + (varIn / aggregate.Count[i]));
                double z = (meanIn - meanOut) / (std + 1e-12);
                result.PValue[at] = NormalUpperTail(z);
            }
        }

        return result;
    }

    /// <summary>
    /// Writes the reference's tables under <paramref name="directory"/>: <c>by-clusters/{count,mean,variance,sum}.tsv</c>
    /// (rows clusters, columns genes) and <c>contrast/by-clusters/cluster-NN.tsv</c> (genes sorted by fold change,
    /// descending) and <c>contrast/by-metrics/&lt;metric&gt;.tsv</c>.
    /// </summary>
    public static void WriteTables(string directory, DifferentialResult result)
    {
        ArgumentNullException.ThrowIfNull(directory);
        ArgumentNullException.ThrowIfNull(result);
        var a = result.Aggregate;
        int g = a.Genes.Count;
        string byClusters = Path.Combine(directory, "by-clusters");
        Directory.CreateDirectory(byClusters);
        var counts = new double[a.Mean.Length];
        long[] sums = a.Sum();
        var sumValues = new double[sums.Length];
        for (int k = 0; k < a.Clusters.Length; k++)
        {
            for (int j = 0; j < g; j++)
            {
                counts[(k * g) + j] = a.Count[k];
                sumValues[(k * g) + j] = sums[(k * g) + j];
            }
        }

        WriteMatrix(Path.Combine(byClusters, "count.tsv"), a, counts);
        WriteMatrix(Path.Combine(byClusters, "mean.tsv"), a, a.Mean);
        WriteMatrix(Path.Combine(byClusters, "variance.tsv"), a, a.Variance);
        WriteMatrix(Path.Combine(byClusters, "sum.tsv"), a, sumValues);

        var metrics = new (string Name, double[] Values)[]
        {
            ("fold_change", result.FoldChange),
            ("mean_interior", result.MeanInterior),
            ("mean_exterior", result.MeanExterior),
            ("variance_interior", result.VarianceInterior),
            ("variance_exterior", result.VarianceExterior),
            ("count_interior", Array.ConvertAll(result.CountInterior, c => (double)c)),
            ("count_exterior", Array.ConvertAll(result.CountExterior, c => (double)c)),
            ("pvalue_positive_sided", result.PValue),
            ("variance_raw", a.Variance),
        };
        string byMetrics = Path.Combine(directory, "contrast", "by-metrics");
        string perCluster = Path.Combine(directory, "contrast", "by-clusters");
        Directory.CreateDirectory(byMetrics);
        Directory.CreateDirectory(perCluster);
        foreach (var (name, values) in metrics)
        {
            WriteMatrix(Path.Combine(byMetrics, name + ".tsv"), a, values);
        }

        for (int k = 0; k < a.Clusters.Length; k++)
        {
            var order = new int[g];
            for (int j = 0; j < g; j++)
            {
                order[j] = j;
            }

            int row = k;
            Array.Sort(order, (x, y) =>
            {
                int c = result.FoldChange[(row * g) + y].CompareTo(result.FoldChange[(row * g) + x]);
                return c != 0 ? c : x.CompareTo(y);
            });
            var sb = new StringBuilder("gene");
            foreach (var (name, _) in metrics)
            {
                sb.Append('\t').Append(name);
            }

            sb.Append('\n');
            foreach (int j in order)
            {
                sb.Append(a.Genes[j]);
                foreach (var (_, values) in metrics)
                {
                    sb.Append('\t').Append(Format(values[(k * g) + j]));
                }

                sb.Append('\n');
            }

            File.WriteAllText(Path.Combine(perCluster, $"cluster-{ClusterName(a.Clusters[k])}.tsv"), sb.ToString());
        }
    }

    /// <summary>1 − Φ(z) without cancellation for large z: erfc(z/√2)/2.</summary>
    internal static double NormalUpperTail(double z)
    {
        if (double.IsNaN(z))
        {
            return double.NaN;
        }

        return 0.5 * Erfc(z / Math.Sqrt(2));
    }

    /// <summary>Complementary error function: Taylor series of erf for |x| &lt; 2, Lentz continued fraction beyond (double precision).</summary>
    internal static double Erfc(double x)
    {
        if (x < 0)
        {
            return 2 - Erfc(-x);
        }

        if (double.IsPositiveInfinity(x))
        {
            return 0;
        }

        if (x < 2)
        {
            double term = x;
            double sum = x;
            double x2 = x * x;
            for (int n = 1; n < 200; n++)
            {
                term *= -x2 / n;
                double add = term / ((2 * n) + 1);
                sum += add;
                if (Math.Abs(add) < 1e-17 * Math.Abs(sum))
                {
                    break;
                }
            }

            return 1 - (2 / Math.Sqrt(Math.PI) * sum);
        }

        // erfc(x) = exp(-x²)/√π · 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + 2/(x + …))))).
        const double Tiny = 1e-300;
        double f = x;
        double c = x;
        double d = 0;
        for (int n = 1; n < 500; n++)
        {
            double an = n / 2.0;
            d = x + (an * d);
            d = Math.Abs(d) < Tiny ? Tiny : d;
            c = x + (an / c);
            c = Math.Abs(c) < Tiny ? Tiny : c;
            d = 1 / d;
            double delta = c * d;
            f *= delta;
            if (Math.Abs(delta - 1) < 1e-16)
            {
                break;
            }
        }

        return Math.Exp(-x * x) / Math.Sqrt(Math.PI) / f;
    }

    private static string ClusterName(int cluster) => cluster.ToString("00", CultureInfo.InvariantCulture);

    private static string Format(double v) => v.ToString("R", CultureInfo.InvariantCulture);

    private static void WriteMatrix(string path, ClusterAggregate a, double[] values)
    {
        int g = a.Genes.Count;
        var sb = new StringBuilder("cluster");
        foreach (string gene in a.Genes)
        {
            sb.Append('\t').Append(gene);
        }

        sb.Append('\n');
        for (int k = 0; k < a.Clusters.Length; k++)
        {
            sb.Append(ClusterName(a.Clusters[k]));
            for (int j = 0; j < g; j++)
            {
                sb.Append('\t').Append(Format(values[(k * g) + j]));
            }

            sb.Append('\n');
        }

        File.WriteAllText(path, sb.ToString());
    }
}
