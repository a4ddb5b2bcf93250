using Istar.Analysis;
using Istar.Tests.Support;

namespace Istar.Tests.Analysis;

public class DifferentialTests
{
    [Fact]
    public void Aggregation_gives_count_mean_population_variance_and_half_even_sums()
    {
        var (p, labels) = Case();

        var a = Differential.Aggregate(p, labels);

        Assert.Equal([0, 1, 2], a.Clusters);
        for (int k = 0; k < 3; k++)
        {
            for (int j = 0; j < p.GeneCount; j++)
            {
                var values = Enumerable.Range(0, p.Count).Where(i => labels[i] == k).Select(i => (double)p.Values[(i * p.GeneCount) + j]).ToArray();
                double mean = values.Average();
                Assert.Equal(values.Length, a.Count[k]);
                Assert.Equal(mean, a.Mean[(k * p.GeneCount) + j], 10);
                Assert.Equal(values.Select(v => (v - mean) * (v - mean)).Average(), a.Variance[(k * p.GeneCount) + j], 10);
                Assert.Equal((long)Math.Round(mean * values.Length, MidpointRounding.ToEven), a.Sum()[(k * p.GeneCount) + j]);
            }
        }
    }

    [Fact]
    public void The_exterior_is_every_block_outside_the_cluster_with_renormalised_weights()
    {
        var (p, labels) = Case();
        var a = Differential.Aggregate(p, labels);

        var d = Differential.Compare(a);

        int g = p.GeneCount;
        for (int j = 0; j < g; j++)
        {
            double pooled = Enumerable.Range(0, 3).Sum(k => a.Variance[(k * g) + j] * a.Count[k]) / a.Count.Sum();
            double sd = Math.Sqrt(pooled);
            for (int k = 0; k < 3; k++)
            {
                var inside = Values(p, labels, j, l => l == k);
                var outside = Values(p, labels, j, l => l != k && l >= 0);
                double meanOut = outside.Average();
                double varOut = outside.Select(v => (v - meanOut) * (v - meanOut)).Average();
                double meanIn = inside.Average();
                double varIn = inside.Select(v => (v - meanIn) * (v - meanIn)).Average();
                int at = (k * g) + j;
                Assert.Equal(meanOut / sd, d.MeanExterior[at], 9);
                Assert.Equal(varOut / pooled, d.VarianceExterior[at], 6);
                Assert.Equal(meanIn / meanOut, d.FoldChange[at], 9);
                Assert.Equal(outside.Length, d.CountExterior[at]);
                double z = ((meanIn - meanOut) / sd) / Math.Sqrt((varIn / pooled / inside.Length) + (varOut / pooled / outside.Length));
                Assert.Equal(0.5 * Erfc(z / Math.Sqrt(2)), d.PValue[at], 6);
            }
        }

        // Gene 0 is high in cluster 2 only.
        Assert.True(d.PValue[(2 * g) + 0] < 1e-6);
        Assert.True(d.PValue[(0 * g) + 0] > 0.5);
    }

    [Fact]
    public void The_reference_defect_shrinks_the_exterior_mean_by_one_minus_the_cluster_weight()
    {
        var (p, labels) = Case();
        var a = Differential.Aggregate(p, labels);

        var fixedResult = Differential.Compare(a);
        var reference = Differential.Compare(a, referenceDefect: true);

        for (int k = 0; k < 3; k++)
        {
            double w = a.Count[k] / (double)a.Count.Sum();
            Assert.Equal(fixedResult.MeanExterior[k * p.GeneCount] * (1 - w), reference.MeanExterior[k * p.GeneCount], 10);
        }
    }

    [Theory]
    [InlineData(0.5, 0.4795001221869535)]
    [InlineData(1.5, 0.033894853524689274)]
    [InlineData(3.0, 2.209049699858544e-05)]
    [InlineData(6.0, 2.1519736712498913e-17)]
    [InlineData(-1.0, 1.8427007929497148)]
    public void Erfc_matches_known_values(double x, double expected)
    {
        Assert.Equal(expected, Differential.Erfc(x), Math.Abs(expected) * 1e-12);
    }

    [Fact]
    public void Tables_are_written_in_the_reference_layout()
    {
        var (p, labels) = Case();
        using var dir = new TempDir();

        Differential.WriteTables(dir.Path, Differential.Compare(Differential.Aggregate(p, labels)));

        string[] count = File.ReadAllLines(Path.Combine(dir.Path, "by-clusters", "count.tsv"));
        Assert.Equal("cluster\tG0\tG1\tG2", count[0]);
        Assert.StartsWith("00\t", count[1], StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(dir.Path, "by-clusters", "sum.tsv")));
        Assert.True(File.Exists(Path.Combine(dir.Path, "contrast", "by-metrics", "pvalue_positive_sided.tsv")));
        string[] c2 = File.ReadAllLines(Path.Combine(dir.Path, "contrast", "by-clusters", "cluster-02.tsv"));
        Assert.StartsWith("gene\tfold_change\t", c2[0], StringComparison.Ordinal);
        Assert.StartsWith("G0\t", c2[1], StringComparison.Ordinal);
    }

    private static double[] Values(BlockPredictions p, int[] labels, int gene, Func<int, bool> which) =>
        Enumerable.Range(0, p.Count).Where(i => which(labels[i])).Select(i => (double)p.Values[(i * p.GeneCount) + gene]).ToArray();

    private static double Erfc(double x) => Differential.Erfc(x);

    private static (BlockPredictions P, int[] Labels) Case()
    {
        // 60 blocks: clusters of 30, 20, 10 blocks (plus 5 unlabelled); gene 0 high in cluster 2.
        var rng = new Random(11);
        int n = 65;
        var labels = new int[n];
        var v = new float[n * 3];
        for (int i = 0; i < n; i++)
        {
            labels[i] = i < 30 ? 0 : i < 50 ? 1 : i < 60 ? 2 : -1;
            v[i * 3] = (labels[i] == 2 ? 20f : 5f) + (float)rng.NextDouble();
            v[(i * 3) + 1] = (labels[i] == 1 ? 3f : 2f) + (float)rng.NextDouble();
            v[(i * 3) + 2] = 1f + (float)rng.NextDouble();
        }

        return (new BlockPredictions(v, ["G0", "G1", "G2"], Enumerable.Range(0, n).ToArray(), new int[n], n, 1), labels);
    }
}
