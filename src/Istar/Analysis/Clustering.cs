using Istar.Masking;

namespace Istar.Analysis;

/// <summary>Settings of <see cref="Clustering.Cluster"/>.</summary>
public sealed record ClusteringOptions
{
    /// <summary>Number of clusters (the reference's run.sh: 10).</summary>
    public int Clusters { get; init; } = 10;

    /// <summary>Z-score every gene before clustering (off by default, as the reference clusters raw values).</summary>
    public bool Standardize { get; init; }

    /// <summary>
    /// Principal components kept before k-means; null or ≥ the gene count keeps all genes. Default 30: k-means on
    /// 30 components of a million blocks takes seconds where 1000 raw genes take minutes, and the discarded
    /// components are mostly noise.
    /// </summary>
    public int? PcaComponents { get; init; } = 30;

    /// <summary>
    /// Spatial smoothing before clustering as the reference's <c>--filter-size k</c>: Gaussian, sigma = k/4, window
    /// 2⌈4·sigma⌉ + 1 (run.sh: 8). Null = none. Only blocks in the mask contribute (normalised convolution), so
    /// background never bleeds in; the reference in-paints the background first instead.
    /// </summary>
    public int? FilterSize { get; init; }

    /// <summary>Connected pieces of a cluster smaller than this (blocks) join their neighbours (run.sh: 20). Null = none.</summary>
    public int? MinClusterSize { get; init; }

    /// <summary>K-means restarts.</summary>
    public int Inits { get; init; } = 10;

    /// <summary>K-means seed.</summary>
    public ulong Seed { get; init; }
}

/// <summary>Cluster labels per block and on the grid.</summary>
/// <param name="BlockLabels">Label of each prediction row (0 = largest cluster).</param>
/// <param name="GridLabels">Labels on the GridRows × GridColumns grid, −1 outside the mask.</param>
/// <param name="Clusters">Number of clusters requested.</param>
public sealed record ClusteringResult(int[] BlockLabels, int[] GridLabels, int Clusters);

/// <summary>
/// Spatial domains from the super-resolved predictions (spec §12.2, <c>cluster.py</c>): optional standardisation,
/// PCA, then optional Gaussian smoothing (of the components, as the reference smooths after PCA) on the block grid, k-means (labels renumbered by size, 0 = largest), optional
/// small-component cleanup with <see cref="ConnectedComponents.RelabelSmall"/>. The reference clusters the MLP's latent
/// embeddings; the port clusters the predictions, which every user has.
/// </summary>
public static class Clustering
{
    /// <summary>Clusters the blocks of <paramref name="predictions"/>.</summary>
    public static ClusteringResult Cluster(BlockPredictions predictions, ClusteringOptions options, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(predictions);
        ArgumentNullException.ThrowIfNull(options);
        int n = predictions.Count;
        int d = predictions.GeneCount;
        if (n < options.Clusters)
        {
            throw new Input.InputException("--clusters", $"{options.Clusters} clusters need at least {options.Clusters} blocks in the mask; there are {n}.", "Ask for fewer clusters or check the tissue mask.");
        }

        float[] x = (float[])predictions.Values.Clone();
        if (options.Standardize)
        {
            Standardize(x, n, d);
        }

        if (options.PcaComponents is int m && m > 0 && m < d)
        {
            x = Pca.Project(x, n, d, m).Scores;
            d = m;
        }

        if (options.FilterSize is int k && k > 0)
        {
            x = Smooth(x, d, predictions.BlockRows, predictions.BlockColumns, predictions.GridRows, predictions.GridColumns, k / 4.0);
        }

        var km = KMeans.Fit(x, n, d, new KMeansOptions { Clusters = options.Clusters, Inits = options.Inits, Seed = options.Seed }, cancellation);
        int[] grid = predictions.ToGrid<int>(km.Labels, -1);
        if (options.MinClusterSize is int min && min > 1)
        {
            grid = ConnectedComponents.RelabelSmall(grid, predictions.GridRows, predictions.GridColumns, min);
        }

        var blockLabels = new int[n];
        for (int i = 0; i < n; i++)
        {
            blockLabels[i] = grid[(predictions.BlockRows[i] * predictions.GridColumns) + predictions.BlockColumns[i]];
        }

        return new ClusteringResult(blockLabels, grid, options.Clusters);
    }

    /// <summary>Z-scores every column in place (population std; constant columns become 0).</summary>
    internal static void Standardize(float[] x, int n, int d)
    {
        for (int j = 0; j < d; j++)
        {
            double s = 0;
            for (int i = 0; i < n; i++)
            {
                s += x[(i * d) + j];
            }

            double mean = s / n;
            double ss = 0;
            for (int i = 0; i < n; i++)
            {
                double e = x[(i * d) + j] - mean;
                ss += e * e;
            }

            double std = Math.Sqrt(ss / n);
            for (int i = 0; i < n; i++)
            {
                x[(i * d) + j] = std > 0 ? (float)((x[(i * d) + j] - mean) / std) : 0f;
            }
        }
    }

    /// <summary>The OpenCV Gaussian kernel for sigma: 2⌈4·sigma⌉ + 1 taps, exp(−t²/2σ²), normalised.</summary>
    internal static double[] GaussianKernel(double sigma)
    {
        int radius = (int)Math.Ceiling(4 * sigma);
        var w = new double[(2 * radius) + 1];
        double total = 0;
        for (int t = -radius; t <= radius; t++)
        {
            w[t + radius] = Math.Exp(-(t * t) / (2 * sigma * sigma));
            total += w[t + radius];
        }

        for (int i = 0; i < w.Length; i++)
        {
            w[i] /= total;
        }

        return w;
    }

    /// <summary>
    /// Separable Gaussian smoothing of per-block values over the blocks present (normalised convolution: the weighted
    /// mean of the present neighbours within the window).
    /// </summary>
    internal static float[] Smooth(float[] x, int d, int[] blockRows, int[] blockColumns, int gridRows, int gridColumns, double sigma)
    {
        double[] w = GaussianKernel(sigma);
        int radius = w.Length / 2;
        int n = blockRows.Length;
        var index = new int[gridRows * gridColumns];
        Array.Fill(index, -1);
        for (int i = 0; i < n; i++)
        {
            index[(blockRows[i] * gridColumns) + blockColumns[i]] = i;
        }

        // Horizontal pass on the grid (values and weights), then vertical.
        var hv = new double[(long)gridRows * gridColumns * d];
        var hw = new double[gridRows * gridColumns];
        var acc = new double[d];
        for (int r = 0; r < gridRows; r++)
        {
            for (int c = 0; c < gridColumns; c++)
            {
                Array.Clear(acc);
                double wsum = 0;
                for (int t = -radius; t <= radius; t++)
                {
                    int cc = c + t;
                    if ((uint)cc >= (uint)gridColumns)
                    {
                        continue;
                    }

                    int i = index[(r * gridColumns) + cc];
                    if (i < 0)
                    {
                        continue;
                    }

                    double wt = w[t + radius];
                    wsum += wt;
                    var row = x.AsSpan(i * d, d);
                    for (int j = 0; j < d; j++)
                    {
                        acc[j] += wt * row[j];
                    }
                }

                int g = (r * gridColumns) + c;
                hw[g] = wsum;
                acc.CopyTo(hv.AsSpan((int)((long)g * d), d));
            }
        }

        var y = new float[x.Length];
        for (int i = 0; i < n; i++)
        {
            int r = blockRows[i];
            int c = blockColumns[i];
            Array.Clear(acc);
            double wsum = 0;
            for (int t = -radius; t <= radius; t++)
            {
                int rr = r + t;
                if ((uint)rr >= (uint)gridRows)
                {
                    continue;
                }

                int g = (rr * gridColumns) + c;
                double wt = w[t + radius];
                wsum += wt * hw[g];
                var src = hv.AsSpan((int)((long)g * d), d);
                for (int j = 0; j < d; j++)
                {
                    acc[j] += wt * src[j];
                }
            }

            for (int j = 0; j < d; j++)
            {
                y[(i * d) + j] = (float)(acc[j] / wsum);
            }
        }

        return y;
    }
}
