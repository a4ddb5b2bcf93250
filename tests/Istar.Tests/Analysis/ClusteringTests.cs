using Istar.Analysis;

namespace Istar.Tests.Analysis;

public class ClusteringTests
{
    [Fact]
    public void Three_expression_domains_are_recovered_and_numbered_by_size()
    {
        // 30 x 30 grid, columns 0-14 domain A (largest), 15-24 domain B, 25-29 domain C; 6 genes.
        var p = Build(30, 30, 6, (r, c, g, rng) => Domain(c) switch
        {
            0 => g < 2 ? 10f : 1f,
            1 => g is 2 or 3 ? 10f : 1f,
            _ => g >= 4 ? 10f : 1f,
        } + (float)(rng.NextDouble() - 0.5));

        var result = Clustering.Cluster(p, new ClusteringOptions { Clusters = 3, PcaComponents = null }, TestContext.Current.CancellationToken);

        for (int i = 0; i < p.Count; i++)
        {
            Assert.Equal(Domain(p.BlockColumns[i]), result.BlockLabels[i]);
        }
    }

    [Fact]
    public void Pca_then_kmeans_finds_the_same_domains()
    {
        var p = Build(30, 30, 40, (r, c, g, rng) => (Domain(c) == g % 3 ? 5f : 0f) + (float)rng.NextDouble());

        var result = Clustering.Cluster(p, new ClusteringOptions { Clusters = 3, PcaComponents = 5, Standardize = true }, TestContext.Current.CancellationToken);

        for (int i = 0; i < p.Count; i++)
        {
            Assert.Equal(Domain(p.BlockColumns[i]), result.BlockLabels[i]);
        }
    }

    [Fact]
    public void A_lone_odd_block_joins_its_surrounding_cluster_with_a_min_cluster_size()
    {
        var p = Build(20, 20, 3, (r, c, g, rng) => (r == 5 && c == 5) ? (g == 2 ? 20f : 0f) : (c < 10 ? (g == 0 ? 10f : 0f) : (g == 1 ? 10f : 0f)));

        var without = Clustering.Cluster(p, new ClusteringOptions { Clusters = 3, PcaComponents = null }, TestContext.Current.CancellationToken);
        var with = Clustering.Cluster(p, new ClusteringOptions { Clusters = 3, PcaComponents = null, MinClusterSize = 5 }, TestContext.Current.CancellationToken);

        int odd = (5 * 20) + 5;
        int neighbour = (5 * 20) + 4;
        Assert.NotEqual(without.GridLabels[neighbour], without.GridLabels[odd]);
        Assert.Equal(with.GridLabels[neighbour], with.GridLabels[odd]);
    }

    [Fact]
    public void Gaussian_smoothing_equals_a_direct_masked_two_dimensional_convolution()
    {
        var rng = new Random(3);
        int rows = 12;
        int columns = 15;
        var present = new List<(int R, int C)>();
        for (int r = 0; r < rows; r++)
        {
            for (int c = 0; c < columns; c++)
            {
                if (rng.NextDouble() < 0.7)
                {
                    present.Add((r, c));
                }
            }
        }

        int d = 2;
        var x = new float[present.Count * d];
        for (int i = 0; i < x.Length; i++)
        {
            x[i] = (float)rng.NextDouble();
        }

        double sigma = 1.0;
        float[] y = Clustering.Smooth(x, d, present.Select(p => p.R).ToArray(), present.Select(p => p.C).ToArray(), rows, columns, sigma);

        // 2-D weights exp(-(dr² + dc²) / 2σ²) over the 9 x 9 window (radius ⌈4σ⌉), present blocks only.
        for (int i = 0; i < present.Count; i++)
        {
            for (int j = 0; j < d; j++)
            {
                double num = 0;
                double den = 0;
                for (int k = 0; k < present.Count; k++)
                {
                    int dr = present[k].R - present[i].R;
                    int dc = present[k].C - present[i].C;
                    if (Math.Abs(dr) <= 4 && Math.Abs(dc) <= 4)
                    {
                        double w = Math.Exp(-((dr * dr) + (dc * dc)) / (2 * sigma * sigma));
                        num += w * x[(k * d) + j];
                        den += w;
                    }
                }

                Assert.Equal(num / den, y[(i * d) + j], 5);
            }
        }
    }

    [Fact]
    public void The_gaussian_kernel_has_the_reference_window_for_filter_size_eight()
    {
        double[] w = Clustering.GaussianKernel(8 / 4.0);

        Assert.Equal(17, w.Length);
        Assert.Equal(1.0, w.Sum(), 12);
        Assert.Equal(Math.Exp(-0.5), w[8 + 2] / w[8], 12);
    }

    [Fact]
    public void Pca_scores_carry_the_variance_of_the_dominant_direction()
    {
        var rng = new Random(5);
        int n = 500;
        int d = 4;
        var x = new float[n * d];
        double[] axis = [0.5, 0.5, 0.5, 0.5];
        for (int i = 0; i < n; i++)
        {
            double t = (rng.NextDouble() - 0.5) * 10;
            for (int j = 0; j < d; j++)
            {
                x[(i * d) + j] = (float)((t * axis[j]) + ((rng.NextDouble() - 0.5) * 0.1) + j);
            }
        }

        var (scores, variance, axes) = Pca.Project(x, n, d, 1);

        // Independent: variance of the projection on the known axis.
        double mean = 0;
        var proj = new double[n];
        for (int i = 0; i < n; i++)
        {
            for (int j = 0; j < d; j++)
            {
                proj[i] += x[(i * d) + j] * axis[j];
            }

            mean += proj[i] / n;
        }

        double v = proj.Sum(p => (p - mean) * (p - mean)) / (n - 1);
        Assert.Equal(v, variance[0], v * 1e-3);
        for (int j = 0; j < d; j++)
        {
            Assert.Equal(0.5, axes[j], 2);
        }

        Assert.Equal(proj[0] - mean, scores[0], 2);
    }

    private static int Domain(int column) => column < 15 ? 0 : column < 25 ? 1 : 2;

    internal static BlockPredictions Build(int rows, int columns, int genes, Func<int, int, int, Random, float> value)
    {
        var rng = new Random(7);
        var br = new int[rows * columns];
        var bc = new int[rows * columns];
        var v = new float[rows * columns * genes];
        for (int r = 0; r < rows; r++)
        {
            for (int c = 0; c < columns; c++)
            {
                int i = (r * columns) + c;
                br[i] = r;
                bc[i] = c;
                for (int g = 0; g < genes; g++)
                {
                    v[(i * genes) + g] = value(r, c, g, rng);
                }
            }
        }

        return new BlockPredictions(v, Enumerable.Range(0, genes).Select(g => $"G{g}").ToArray(), br, bc, rows, columns);
    }
}

public class ClusteringInputTests
{
    [Fact]
    public void More_clusters_than_blocks_is_an_input_error()
    {
        var p = ClusteringTests.Build(2, 2, 3, (_, _, g, _) => g);

        var e = Assert.Throws<Istar.Input.InputException>(() => Clustering.Cluster(p, new ClusteringOptions(), TestContext.Current.CancellationToken));

        Assert.Equal("--clusters", e.Location);
    }
}
