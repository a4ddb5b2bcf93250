using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using Istar.Masking;

namespace Istar.Analysis;

/// <summary>Settings of <see cref="KMeans.Fit"/>; the defaults are scikit-learn 1.2's <c>KMeans</c> defaults.</summary>
internal sealed record KMeansOptions
{
    /// <summary>Number of clusters (k).</summary>
    public int Clusters { get; init; } = 8;

    /// <summary>Number of k-means++ initialisations; the run with the lowest inertia wins (scikit-learn 1.2: 10).</summary>
    public int Inits { get; init; } = 10;

    /// <summary>Lloyd iterations per initialisation.</summary>
    public int MaxIterations { get; init; } = 300;

    /// <summary>Relative tolerance: stop when the squared centre shift is below this times the mean feature variance.</summary>
    public double Tolerance { get; init; } = 1e-4;

    /// <summary>Seed of the deterministic random stream (SplitMix64) used by k-means++.</summary>
    public ulong Seed { get; init; }

    /// <summary>Renumber clusters by size, 0 = largest (iStar's <c>sort_labels</c>, NumPy tie order).</summary>
    public bool SortBySize { get; init; } = true;
}

/// <summary>The outcome of <see cref="KMeans.Fit"/>.</summary>
internal sealed class KMeansResult
{
    internal KMeansResult(int[] labels, double[] centers, int clusters, int dimensions, double inertia, int iterations)
    {
        Labels = labels;
        Centers = centers;
        Clusters = clusters;
        Dimensions = dimensions;
        Inertia = inertia;
        Iterations = iterations;
    }

    /// <summary>Cluster of every sample.</summary>
    public int[] Labels { get; }

    /// <summary>Cluster centres, Clusters × Dimensions row-major.</summary>
    public double[] Centers { get; }

    /// <summary>Number of clusters.</summary>
    public int Clusters { get; }

    /// <summary>Feature dimensions.</summary>
    public int Dimensions { get; }

    /// <summary>Sum of squared distances of samples to their centre.</summary>
    public double Inertia { get; }

    /// <summary>Lloyd iterations of the winning run.</summary>
    public int Iterations { get; }

    /// <summary>Samples per cluster.</summary>
    public int[] Sizes()
    {
        var sizes = new int[Clusters];
        foreach (int l in Labels)
        {
            sizes[l]++;
        }

        return sizes;
    }
}

/// <summary>
/// Deterministic k-means in the manner of scikit-learn 1.2 <c>KMeans</c> (Lloyd): k-means++ seeding with
/// 2 + ⌊ln k⌋ local trials, <see cref="KMeansOptions.Inits"/> restarts drawn from one seeded stream, tolerance relative
/// to the mean feature variance, strict-convergence check on the labels, a final assignment step, empty clusters
/// re-seeded with the samples farthest from their centres. Distances and sums accumulate in float64. The random stream
/// is not NumPy's, so the partition is the same as scikit-learn's only when both find the same optimum.
/// </summary>
internal static class KMeans
{
    /// <summary>Clusters <paramref name="count"/> samples of <paramref name="dimensions"/> values (row-major).</summary>
    public static KMeansResult Fit(ReadOnlyMemory<float> data, int count, int dimensions, KMeansOptions options, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(dimensions);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(options.Clusters);
        if ((long)count * dimensions != data.Length)
        {
            throw new ArgumentException($"data hold {data.Length} values, not {count} x {dimensions}", nameof(data));
        }

        if (count < options.Clusters)
        {
            throw new ArgumentException($"{count} samples cannot form {options.Clusters} clusters", nameof(count));
        }

        int k = options.Clusters;
        double tol = MeanVariance(data.Span, count, dimensions) * options.Tolerance;
        var rng = new SplitMix64(options.Seed);
        int[]? bestLabels = null;
        double[]? bestCenters = null;
        double bestInertia = double.PositiveInfinity;
        int bestIterations = 0;
        for (int init = 0; init < Math.Max(1, options.Inits); init++)
        {
            cancellation.ThrowIfCancellationRequested();
            double[] centers = PlusPlus(data.Span, count, dimensions, k, ref rng);
            var labels = new int[count];
            int iterations = Lloyd(data, count, dimensions, k, centers, labels, options.MaxIterations, tol, cancellation);
            double inertia = Inertia(data.Span, dimensions, centers, labels);
            if (bestLabels is null || inertia < bestInertia)
            {
                bestLabels = labels;
                bestCenters = centers;
                bestInertia = inertia;
                bestIterations = iterations;
            }
        }

        if (options.SortBySize)
        {
            var negSizes = new long[k];
            foreach (int l in bestLabels!)
            {
                negSizes[l]--;
            }

            int[] order = NumpySort.ArgSort(negSizes);
            int[] rank = NumpySort.Inverse(order);
            for (int i = 0; i < bestLabels.Length; i++)
            {
                bestLabels[i] = rank[bestLabels[i]];
            }

            var sorted = new double[bestCenters!.Length];
            for (int c = 0; c < k; c++)
            {
                Array.Copy(bestCenters, order[c] * dimensions, sorted, c * dimensions, dimensions);
            }

            bestCenters = sorted;
        }

        return new KMeansResult(bestLabels!, bestCenters!, k, dimensions, bestInertia, bestIterations);
    }

    /// <summary>Index of the nearest centre to each sample.</summary>
    public static int[] Predict(ReadOnlySpan<float> data, int dimensions, ReadOnlySpan<double> centers)
    {
        int count = data.Length / dimensions;
        int k = centers.Length / dimensions;
        var labels = new int[count];
        for (int i = 0; i < count; i++)
        {
            labels[i] = Nearest(data.Slice(i * dimensions, dimensions), centers, k, out _);
        }

        return labels;
    }

    internal static double SquaredDistance(ReadOnlySpan<float> x, ReadOnlySpan<double> c)
    {
        double s = 0;
        for (int j = 0; j < x.Length; j++)
        {
            double d = x[j] - c[j];
            s += d * d;
        }

        return s;
    }

    /// <summary>Squared distance, float differences squared and summed in float64 (SIMD).</summary>
    internal static double SquaredDistance(ReadOnlySpan<float> x, ReadOnlySpan<float> c)
    {
        int n = x.Length;
        int i = 0;
        double s = 0;
        if (Vector256.IsHardwareAccelerated && n >= 8)
        {
            var acc0 = Vector256<double>.Zero;
            var acc1 = Vector256<double>.Zero;
            ref float xr = ref MemoryMarshal.GetReference(x);
            ref float cr = ref MemoryMarshal.GetReference(c);
            for (; i <= n - 8; i += 8)
            {
                var d = Vector256.LoadUnsafe(ref xr, (nuint)i) - Vector256.LoadUnsafe(ref cr, (nuint)i);
                var (lo, hi) = Vector256.Widen(d);
                acc0 += lo * lo;
                acc1 += hi * hi;
            }

            s = Vector256.Sum(acc0 + acc1);
        }

        for (; i < n; i++)
        {
            double d = x[i] - c[i];
            s += d * d;
        }

        return s;
    }

    private static int Nearest(ReadOnlySpan<float> x, ReadOnlySpan<float> centers, int k, out double distance) =>
        Nearest(x, centers, k, SquaredDistance, out distance);

    private static int Nearest(ReadOnlySpan<float> x, ReadOnlySpan<double> centers, int k, out double distance) =>
        Nearest(x, centers, k, SquaredDistance, out distance);

    /// <summary>The index of the centre closest to <paramref name="x"/>; float and double centres share this loop.</summary>
    private static int Nearest<T>(ReadOnlySpan<float> x, ReadOnlySpan<T> centers, int k, Distance<T> measure, out double distance)
    {
        int d = x.Length;
        int best = 0;
        distance = double.PositiveInfinity;
        for (int c = 0; c < k; c++)
        {
            double s = measure(x, centers.Slice(c * d, d));
            if (s < distance)
            {
                distance = s;
                best = c;
            }
        }

        return best;
    }

    private static float[] ToFloat(ReadOnlySpan<double> v)
    {
        var f = new float[v.Length];
        for (int i = 0; i < v.Length; i++)
        {
            f[i] = (float)v[i];
        }

        return f;
    }

    private static double MeanVariance(ReadOnlySpan<float> data, int n, int d)
    {
        var sum = new double[d];
        var sq = new double[d];
        for (int i = 0; i < n; i++)
        {
            var row = data.Slice(i * d, d);
            for (int j = 0; j < d; j++)
            {
                sum[j] += row[j];
            }
        }

        for (int j = 0; j < d; j++)
        {
            sum[j] /= n;
        }

        for (int i = 0; i < n; i++)
        {
            var row = data.Slice(i * d, d);
            for (int j = 0; j < d; j++)
            {
                double e = row[j] - sum[j];
                sq[j] += e * e;
            }
        }

        double total = 0;
        for (int j = 0; j < d; j++)
        {
            total += sq[j] / n;
        }

        return total / d;
    }

    private static double[] PlusPlus(ReadOnlySpan<float> data, int n, int d, int k, ref SplitMix64 rng)
    {
        var centers = new double[k * d];
        int trials = 2 + (int)Math.Log(k);
        int first = (int)Math.Min(n - 1, rng.NextDouble() * n);
        CopyRow(data, d, first, centers.AsSpan(0, d));
        var closest = new double[n];
        double pot = 0;
        for (int i = 0; i < n; i++)
        {
            closest[i] = SquaredDistance(data.Slice(i * d, d), data.Slice(first * d, d));
            pot += closest[i];
        }

        var cumulative = new double[n];
        var candidate = new double[n];
        var bestDist = new double[n];
        var point = new float[d];
        for (int c = 1; c < k; c++)
        {
            double acc = 0;
            for (int i = 0; i < n; i++)
            {
                acc += closest[i];
                cumulative[i] = acc;
            }

            double bestPot = double.PositiveInfinity;
            int bestId = 0;
            for (int t = 0; t < trials; t++)
            {
                double r = rng.NextDouble() * pot;
                int id = LowerBound(cumulative, r);
                data.Slice(id * d, d).CopyTo(point);
                double candPot = 0;
                for (int i = 0; i < n; i++)
                {
                    double s = Math.Min(closest[i], SquaredDistance(data.Slice(i * d, d), point));
                    candidate[i] = s;
                    candPot += s;
                }

                if (candPot < bestPot)
                {
                    bestPot = candPot;
                    bestId = id;
                    Array.Copy(candidate, bestDist, n);
                }
            }

            pot = bestPot;
            Array.Copy(bestDist, closest, n);
            CopyRow(data, d, bestId, centers.AsSpan(c * d, d));
        }

        return centers;
    }

    private static int LowerBound(double[] sorted, double value)
    {
        int lo = 0;
        int hi = sorted.Length;
        while (lo < hi)
        {
            int mid = (lo + hi) >>> 1;
            if (sorted[mid] < value)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid;
            }
        }

        return Math.Min(lo, sorted.Length - 1);
    }

    private static void CopyRow(ReadOnlySpan<float> data, int d, int i, Span<double> into)
    {
        var row = data.Slice(i * d, d);
        for (int j = 0; j < d; j++)
        {
            into[j] = row[j];
        }
    }

    private static int Lloyd(ReadOnlyMemory<float> data, int n, int d, int k, double[] centers, int[] labels, int maxIterations, double tol, CancellationToken cancellation)
    {
        var previous = new int[n];
        Array.Fill(previous, -1);
        var distances = new double[n];
        int chunks = Math.Max(1, Math.Min(Environment.ProcessorCount * 4, n / 4096));
        var partialSums = new double[chunks][];
        var partialCounts = new long[chunks][];
        for (int t = 0; t < chunks; t++)
        {
            partialSums[t] = new double[k * d];
            partialCounts[t] = new long[k];
        }

        bool strict = false;
        int iteration = 0;
        var newCenters = new double[k * d];
        var counts = new long[k];
        for (; iteration < maxIterations; iteration++)
        {
            cancellation.ThrowIfCancellationRequested();
            float[] current = ToFloat(centers);
            Parallel.For(0, chunks, t =>
            {
                var span = data.Span;
                var sums = partialSums[t];
                var cnt = partialCounts[t];
                Array.Clear(sums);
                Array.Clear(cnt);
                int from = (int)((long)n * t / chunks);
                int to = (int)((long)n * (t + 1) / chunks);
                for (int i = from; i < to; i++)
                {
                    var x = span.Slice(i * d, d);
                    int l = Nearest(x, current, k, out double dist);
                    labels[i] = l;
                    distances[i] = dist;
                    cnt[l]++;
                    var s = sums.AsSpan(l * d, d);
                    for (int j = 0; j < d; j++)
                    {
                        s[j] += x[j];
                    }
                }
            });

            Array.Clear(newCenters);
            Array.Clear(counts);
            for (int t = 0; t < chunks; t++)
            {
                for (int c = 0; c < k; c++)
                {
                    counts[c] += partialCounts[t][c];
                }

                var s = partialSums[t];
                for (int j = 0; j < s.Length; j++)
                {
                    newCenters[j] += s[j];
                }
            }

            RelocateEmpty(data.Span, d, k, labels, distances, newCenters, counts);
            double shift = 0;
            for (int c = 0; c < k; c++)
            {
                for (int j = 0; j < d; j++)
                {
                    double v = counts[c] > 0 ? newCenters[(c * d) + j] / counts[c] : centers[(c * d) + j];
                    double e = v - centers[(c * d) + j];
                    shift += e * e;
                    centers[(c * d) + j] = v;
                }
            }

            if (labels.AsSpan().SequenceEqual(previous))
            {
                strict = true;
                iteration++;
                break;
            }

            if (shift <= tol)
            {
                iteration++;
                break;
            }

            Array.Copy(labels, previous, n);
        }

        if (!strict)
        {
            var span = data.Span;
            float[] final = ToFloat(centers);
            for (int i = 0; i < n; i++)
            {
                labels[i] = Nearest(span.Slice(i * d, d), final, k, out _);
            }
        }

        return iteration;
    }

    private static void RelocateEmpty(ReadOnlySpan<float> data, int d, int k, int[] labels, double[] distances, double[] sums, long[] counts)
    {
        int empty = 0;
        for (int c = 0; c < k; c++)
        {
            if (counts[c] == 0)
            {
                empty++;
            }
        }

        if (empty == 0)
        {
            return;
        }

        // Samples farthest from their centres, farthest first.
        var order = new int[labels.Length];
        for (int i = 0; i < order.Length; i++)
        {
            order[i] = i;
        }

        var keys = (double[])distances.Clone();
        Array.Sort(keys, order);
        int next = order.Length - 1;
        for (int c = 0; c < k; c++)
        {
            if (counts[c] != 0)
            {
                continue;
            }

            int i = order[next--];
            int old = labels[i];
            var x = data.Slice(i * d, d);
            for (int j = 0; j < d; j++)
            {
                sums[(old * d) + j] -= x[j];
                sums[(c * d) + j] = x[j];
            }

            counts[old]--;
            counts[c] = 1;
        }
    }

    private static double Inertia(ReadOnlySpan<float> data, int d, double[] centers, int[] labels)
    {
        double total = 0;
        for (int i = 0; i < labels.Length; i++)
        {
            total += SquaredDistance(data.Slice(i * d, d), centers.AsSpan(labels[i] * d, d));
        }

        return total;
    }

    /// <summary>SplitMix64: a small, fully specified generator, so seeded runs repeat on every platform.</summary>
    internal struct SplitMix64(ulong seed)
    {
        private ulong _state = seed;

        public ulong Next()
        {
            ulong z = _state += 0x9E3779B97F4A7C15UL;
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
            return z ^ (z >> 31);
        }

        public double NextDouble() => (Next() >> 11) * (1.0 / (1UL << 53));
    }

    private delegate double Distance<T>(ReadOnlySpan<float> x, ReadOnlySpan<T> centre);
}
