using Istar.Analysis;
using Istar.Masking;

namespace Istar.Tests.Analysis;

public class KMeansTests
{
    [Fact]
    public void Well_separated_groups_are_found_numbered_by_size_and_repeat_with_the_same_seed()
    {
        var rng = new Random(2);
        int[] sizes = [30, 120, 60];
        double[][] centres = [[0, 0], [10, 0], [0, 10]];
        var x = new List<float>();
        var truth = new List<int>();
        for (int g = 0; g < 3; g++)
        {
            for (int i = 0; i < sizes[g]; i++)
            {
                x.Add((float)(centres[g][0] + rng.NextDouble()));
                x.Add((float)(centres[g][1] + rng.NextDouble()));
                truth.Add(g);
            }
        }

        var options = new KMeansOptions { Clusters = 3, Seed = 42 };
        var a = KMeans.Fit(x.ToArray(), truth.Count, 2, options, TestContext.Current.CancellationToken);
        var b = KMeans.Fit(x.ToArray(), truth.Count, 2, options, TestContext.Current.CancellationToken);

        Assert.Equal(a.Labels, b.Labels);
        Assert.Equal([120, 60, 30], a.Sizes());
        int[] expected = [2, 0, 1]; // truth group -> label by size
        for (int i = 0; i < truth.Count; i++)
        {
            Assert.Equal(expected[truth[i]], a.Labels[i]);
        }

        // Inertia = sum of squared distances to the cluster means, computed independently.
        double inertia = 0;
        for (int k = 0; k < 3; k++)
        {
            var members = Enumerable.Range(0, truth.Count).Where(i => a.Labels[i] == k).ToArray();
            double mx = members.Average(i => (double)x[2 * i]);
            double my = members.Average(i => (double)x[(2 * i) + 1]);
            inertia += members.Sum(i => Math.Pow(x[2 * i] - mx, 2) + Math.Pow(x[(2 * i) + 1] - my, 2));
        }

        Assert.Equal(inertia, a.Inertia, 6);
    }

    [Fact]
    public void Duplicate_points_leave_no_cluster_empty()
    {
        float[] x = [0, 0, 0, 0, 0, 0, 5, 5];

        var r = KMeans.Fit(x, 4, 2, new KMeansOptions { Clusters = 2 }, TestContext.Current.CancellationToken);

        Assert.Equal([3, 1], r.Sizes());
    }

    [Fact]
    public void Numpy_argsort_order_is_reproduced_for_ties()
    {
        // Small arrays (≤ 16) use insertion sort: ties keep their order.
        Assert.Equal([1, 3, 0, 2], NumpySort.ArgSort([2, 1, 2, 1]));

        // Larger arrays go through the median-of-3 partition; the permutation must sort and be a permutation.
        long[] v = Enumerable.Range(0, 200).Select(i => (long)(i * 37 % 7)).ToArray();
        int[] order = NumpySort.ArgSort(v);
        Assert.Equal(Enumerable.Range(0, 200), order.Order());
        for (int i = 1; i < order.Length; i++)
        {
            Assert.True(v[order[i - 1]] <= v[order[i]]);
        }
    }

    [Fact]
    public void The_reference_foreground_rule_takes_the_larger_rgb_std_and_lets_an_empty_clusters_nan_win()
    {
        int[] labels = [0, 0, 1, 1];
        float[] rgb = [0.5f, 0.5f, 0.5f, 0.5f, 0.5f, 0.5f, 0.1f, 0.9f, 0.5f, 0.2f, 0.8f, 0.4f];

        Assert.Equal(1, ReferenceMask.ForegroundCluster(labels, rgb, 2));
        Assert.Equal(1, ReferenceMask.ForegroundCluster([0, 0, 0, 0], rgb, 2));
        Assert.Equal(0, ReferenceMask.ForegroundCluster([1, 1, 1, 1], rgb, 2));
    }
}
