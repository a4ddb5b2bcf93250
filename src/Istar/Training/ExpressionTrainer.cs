using System.Globalization;
using Istar.Features;
using Istar.Input;
using Istar.Pipeline;
using TorchSharp;
using static TorchSharp.torch;

namespace Istar.Training;

/// <summary>
/// Trains the per-block MLP ensemble from spot counts (spec §10): every spot's prediction is the mean of the block
/// predictions over its footprint; the loss is the MSE against per-gene min–max-normalized counts.
/// </summary>
/// <remarks>
/// Feature gathering: the blocks of all footprints are copied once from the grid into one tensor (U distinct blocks
/// × C) and each spot keeps its row indices into it; a batch is one <c>index_select</c> plus one <c>index_add</c> to
/// average blocks per spot, so footprints of any size and shape (disks, squares, unions, clipped) train together.
/// </remarks>
internal static class ExpressionTrainer
{
    /// <summary>Added to the per-gene range before dividing, as the reference does.</summary>
    public const float RangeEpsilon = 1e-12f;

    public static ExpressionEnsemble Train(FeatureGrid grid, TrainingSet set, TrainingOptions options, IRunLog log, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(grid);
        ArgumentNullException.ThrowIfNull(set);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(log);
        if (grid.Rows != set.Rows || grid.Columns != set.Columns)
        {
            throw new ArgumentException($"training set is for a {set.Rows} x {set.Columns} grid, features are {grid.Rows} x {grid.Columns}");
        }

        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(options.States);
        ArgumentOutOfRangeException.ThrowIfNegative(options.Epochs);
        if (options.Threads is int threads)
        {
            set_num_threads(threads);
        }

        using var data = SpotBatches.Gather(grid, set, log);
        float[]? mean = null;
        float[]? std = null;
        if (options.StandardizeFeatures)
        {
            (mean, std) = data.Standardize();
        }

        int n = data.SpotCount;
        int genes = set.GeneCount;
        var (countMin, countMax, targets) = NormalizeTargets(data.Counts, n, genes);
        using var y = tensor(targets, n, genes);
        int batch = options.BatchSizeFor(n);
        int stepsPerEpoch = (n + batch - 1) / batch;
        int epochs = options.EpochsFor(n);
        long totalSteps = (long)stepsPerEpoch * epochs;
        log.Info(string.Create(CultureInfo.InvariantCulture, $"[training] {n} spots, {genes} genes, {data.BlockCount} blocks, batch {batch}, {epochs} epochs, {options.States} states ({options.Preset})"));

        var groups = options.TrainMembersTogether ? [options.States] : Enumerable.Repeat(1, options.States).ToArray();
        var heads = new List<ExpressionHead>();
        var history = new List<float[]>();
        int firstState = 0;
        foreach (int members in groups)
        {
            var head = new ExpressionHead(members, grid.Channels, genes);
            for (int m = 0; m < members; m++)
            {
                using var initGen = new Generator((ulong)Seed(options.Seed, firstState + m, 0));
                head.ResetMember(m, initGen);
                if (options.InitialWeights is { } init)
                {
                    head.LoadMember(m, init[firstState + m]);
                }
            }

            history.AddRange(TrainGroup(head, firstState, data, y, options, batch, epochs, totalSteps, log, cancellation));
            heads.Add(head);
            firstState += members;
        }

        return new ExpressionEnsemble([.. heads], mean, std, set.GeneNames, countMin, countMax, set.NominalFootprintSize, history, options);
    }

    /// <summary>
    /// The training objective of a finished ensemble on <paramref name="set"/>: MSE between footprint-mean normalized
    /// predictions and the targets (normalized with the ensemble's own min/max), averaged over members.
    /// </summary>
    public static double EvaluateLoss(ExpressionEnsemble ensemble, FeatureGrid grid, TrainingSet set)
    {
        ArgumentNullException.ThrowIfNull(ensemble);
        ArgumentNullException.ThrowIfNull(grid);
        ArgumentNullException.ThrowIfNull(set);
        using var noGrad = no_grad();
        using var data = SpotBatches.Gather(grid, set, SilentRunLog.Instance);
        int genes = set.GeneCount;
        var targets = new float[data.Counts.Length];
        for (int k = 0; k < targets.Length; k++)
        {
            int g = k % genes;
            targets[k] = (data.Counts[k] - ensemble.CountMin[g]) / ((ensemble.CountMax[g] - ensemble.CountMin[g]) + RangeEpsilon);
        }

        double sum = 0;
        const int Chunk = 256;
        var all = Enumerable.Range(0, data.SpotCount).ToArray();
        for (int start = 0; start < all.Length; start += Chunk)
        {
            using var scope = NewDisposeScope();
            int count = Math.Min(Chunk, all.Length - start);
            var (x, segment, inverseSize) = data.Batch(all.AsSpan(start, count));
            var pred = ensemble.PredictNormalized(x);
            var spotMean = zeros(pred.shape[0], count, pred.shape[2]).index_add_(1, segment, pred, TorchScalars.One).mul_(inverseSize);
            var y = tensor(targets.AsSpan(start * genes, count * genes).ToArray(), count, genes);
            sum += (spotMean - y).square().sum().item<float>();
        }

        return sum / ((double)ensemble.Members * data.SpotCount * genes);
    }

    /// <summary>Per-gene min–max normalization over spots, in float32 as the reference: (c − min) / (max − min + 1e-12).</summary>
    internal static (float[] Min, float[] Max, float[] Targets) NormalizeTargets(float[] counts, int spots, int genes)
    {
        var min = new float[genes];
        var max = new float[genes];
        Array.Fill(min, float.PositiveInfinity);
        Array.Fill(max, float.NegativeInfinity);
        for (int s = 0; s < spots; s++)
        {
            for (int g = 0; g < genes; g++)
            {
                float c = counts[(s * genes) + g];
                min[g] = Math.Min(min[g], c);
                max[g] = Math.Max(max[g], c);
            }
        }

        var targets = new float[counts.Length];
        for (int s = 0; s < spots; s++)
        {
            for (int g = 0; g < genes; g++)
            {
                targets[(s * genes) + g] = (counts[(s * genes) + g] - min[g]) / ((max[g] - min[g]) + RangeEpsilon);
            }
        }

        return (min, max, targets);
    }

    private static long Seed(long seed, int state, int stream) => unchecked((seed * 1_000_003L) + (state * 7919L) + stream + 1);

    /// <summary>
    /// Trains the members of one head. Each member has its own initialization and shuffling generator (seeded by its
    /// state number), so training members together or one by one gives the same trajectories up to summation order.
    /// </summary>
    private static float[][] TrainGroup(ExpressionHead head, int firstState, SpotBatches data, Tensor y, TrainingOptions options, int batch, int epochs, long totalSteps, IRunLog log, CancellationToken cancellation)
    {
        int n = data.SpotCount;
        int members = head.Members;
        head.train();
        using var adam = new AdamOptimizer(head.parameters(), options.LearningRate, beta1: 0.9, beta2: 0.999, epsilon: 1e-8);
        var shuffle = Enumerable.Range(firstState, members).Select(state => new Generator((ulong)Seed(options.Seed, state, 1))).ToArray();
        var epochLoss = Enumerable.Range(0, members).Select(_ => new float[epochs]).ToArray();
        string label = members > 1 ? $"states {firstState + 1}-{firstState + members} of {options.States}" : $"state {firstState + 1} of {options.States}";
        using var progress = log.Begin("training", label, epochs);
        long step = 0;
        var orders = new int[members][];
        try
        {
            for (int epoch = 0; epoch < epochs; epoch++)
            {
                for (int m = 0; m < members; m++)
                {
                    orders[m] = options.SampleOrder?.Invoke(firstState + m, epoch) ?? Permutation(n, shuffle[m]);
                }

                var lossSum = new double[members];
                int batches = 0;
                for (int start = 0; start < n; start += batch)
                {
                    cancellation.ThrowIfCancellationRequested();
                    int count = Math.Min(batch, n - start);
                    SetLearningRate(adam, options, step, totalSteps);
                    using var stepScope = NewDisposeScope();
                    var (x, scatter, inverseSize, targetRows) = data.Batch(orders, start, count);
                    var pred = head.forward(x);
                    long genes = pred.shape[2];
                    var sums = zeros(members * (count + 1), genes).index_add_(0, scatter, pred.reshape(-1, genes), TorchScalars.One);
                    var spotMean = sums.view(members, count + 1, genes).narrow(1, 0, count).mul(inverseSize);
                    var target = y.index_select(0, targetRows).view(members, count, genes);
                    var perMember = (spotMean - target).square().mean([1, 2]);
                    var loss = perMember.sum();
                    adam.ZeroGrad();
                    loss.backward();
                    adam.Step();
                    var values = perMember.data<float>().ToArray();
                    for (int m = 0; m < members; m++)
                    {
                        options.StepObserver?.Invoke(firstState + m, (int)step, values[m]);
                        lossSum[m] += values[m];
                    }

                    batches++;
                    step++;
                }

                for (int m = 0; m < members; m++)
                {
                    epochLoss[m][epoch] = (float)(lossSum[m] / Math.Max(1, batches));
                }

                double mean = epochLoss.Average(e => e[epoch]);
                progress.Advance(1, string.Create(CultureInfo.InvariantCulture, $"loss {mean:0.00000}"));
            }
        }
        finally
        {
            foreach (var g in shuffle)
            {
                g.Dispose();
            }
        }

        head.eval();
        return epochLoss;
    }

    private static void SetLearningRate(AdamOptimizer adam, TrainingOptions options, long step, long totalSteps)
    {
        if (options.Schedule == LearningRateSchedule.Constant)
        {
            return;
        }

        double lr = options.LearningRate;
        long warm = Math.Max(1, totalSteps / 20);
        if (step < warm)
        {
            lr *= (step + 1) / (double)warm;
        }
        else
        {
            double t = (step - warm) / (double)Math.Max(1, totalSteps - warm);
            lr *= 0.01 + (0.99 * 0.5 * (1 + Math.Cos(Math.PI * t)));
        }

        adam.LearningRate = lr;
    }

    private static int[] Permutation(int n, Generator generator)
    {
        using var p = randperm(n, generator: generator);
        return p.data<long>().ToArray().Select(v => (int)v).ToArray();
    }
}

/// <summary>Training spots' footprint features gathered once (U distinct blocks × C) with per-spot row indices.</summary>
internal sealed class SpotBatches : IDisposable
{
    private readonly int[][] _local;

    private SpotBatches(Tensor blocks, int[][] local, float[] counts, int[] kept)
    {
        Blocks = blocks;
        _local = local;
        Counts = counts;
        Kept = kept;
    }

    /// <summary>U × C features of every block some training spot covers (standardized in place when asked).</summary>
    public Tensor Blocks { get; private set; }

    /// <summary>Raw counts of the kept spots, dense spots × genes.</summary>
    public float[] Counts { get; }

    /// <summary>Positions in the training set of the kept spots (those whose footprint features are all finite).</summary>
    public int[] Kept { get; }

    public int SpotCount => _local.Length;

    public long BlockCount => Blocks.shape[0];

    public static SpotBatches Gather(FeatureGrid grid, TrainingSet set, IRunLog log)
    {
        int channels = grid.Channels;
        var localOf = new Dictionary<int, int>();
        var order = new List<int>();
        var kept = new List<int>();
        var lists = new List<int[]>();
        var bad = new List<int>();
        var finite = new Dictionary<int, bool>();
        for (int s = 0; s < set.SpotCount; s++)
        {
            bool ok = true;
            foreach (int b in set.Footprints[s])
            {
                if (!finite.TryGetValue(b, out bool f))
                {
                    f = IsFinite(grid.Block(b / grid.Columns, b % grid.Columns));
                    finite[b] = f;
                }

                ok &= f;
            }

            if (!ok)
            {
                bad.Add(s);
                continue;
            }

            var local = new int[set.Footprints[s].Length];
            for (int k = 0; k < local.Length; k++)
            {
                int b = set.Footprints[s][k];
                if (!localOf.TryGetValue(b, out int l))
                {
                    l = order.Count;
                    localOf[b] = l;
                    order.Add(b);
                }

                local[k] = l;
            }

            kept.Add(s);
            lists.Add(local);
        }

        if (bad.Count > 0)
        {
            log.Warn($"{bad.Count} spot(s) cover blocks with non-finite features and were left out of training.");
        }

        if (kept.Count == 0)
        {
            throw new InputException("features", "no training spot has finite features over its footprint", "Re-extract the features.");
        }

        var values = new float[(long)order.Count * channels];
        for (int u = 0; u < order.Count; u++)
        {
            grid.Block(order[u] / grid.Columns, order[u] % grid.Columns).CopyTo(values.AsSpan(u * channels, channels));
        }

        int genes = set.GeneCount;
        var counts = new float[(long)kept.Count * genes];
        for (int k = 0; k < kept.Count; k++)
        {
            set.Counts.AsSpan(kept[k] * genes, genes).CopyTo(counts.AsSpan(k * genes, genes));
        }

        var blocks = tensor(values, order.Count, channels);
        return new SpotBatches(blocks, [.. lists], counts, [.. kept]);
    }

    /// <summary>Standardizes the gathered blocks per channel; returns the mean and sd (sd 0 → 1).</summary>
    public (float[] Mean, float[] Std) Standardize()
    {
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        var m = Blocks.mean([0], keepdim: true);
        var sd = Blocks.std(0, unbiased: false, keepdim: true);
        var safe = where(sd > 1e-8f, sd, ones_like(sd));
        var standardized = ((Blocks - m) / safe).MoveToOuterDisposeScope();
        Blocks.Dispose();
        Blocks = standardized;
        return (m.data<float>().ToArray(), safe.data<float>().ToArray());
    }

    /// <summary>
    /// One step's batch for S members, member m taking spots <c>orders[m][start … start + count)</c>: features
    /// S × Nb × C (members with fewer blocks padded with block 0), for every block its row in the flat
    /// S · (count + 1) spot-sum table (padding goes to each member's spare last row), 1/|footprint| as S × count × 1,
    /// and the target rows (S · count).
    /// </summary>
    public (Tensor X, Tensor Scatter, Tensor InverseSize, Tensor TargetRows) Batch(int[][] orders, int start, int count)
    {
        int members = orders.Length;
        int width = 0;
        for (int m = 0; m < members; m++)
        {
            int total = 0;
            for (int k = 0; k < count; k++)
            {
                total += _local[orders[m][start + k]].Length;
            }

            width = Math.Max(width, total);
        }

        var rows = new long[members * width];
        var scatter = new long[members * width];
        var inverse = new float[members * count];
        var targets = new long[members * count];
        for (int m = 0; m < members; m++)
        {
            int at = m * width;
            for (int k = 0; k < count; k++)
            {
                int spot = orders[m][start + k];
                var local = _local[spot];
                for (int j = 0; j < local.Length; j++)
                {
                    rows[at] = local[j];
                    scatter[at] = (m * (count + 1)) + k;
                    at++;
                }

                inverse[(m * count) + k] = 1f / local.Length;
                targets[(m * count) + k] = spot;
            }

            for (; at < (m + 1) * width; at++)
            {
                scatter[at] = (m * (count + 1)) + count;
            }
        }

        using var index = tensor(rows);
        using var flat = Blocks.index_select(0, index);
        return (flat.view(members, width, -1), tensor(scatter), tensor(inverse, members, count, 1), tensor(targets));
    }

    /// <summary>Features of the spots' blocks (Nb × C), each block's spot position in the batch, and 1/|footprint| (1 × B × 1).</summary>
    public (Tensor X, Tensor Segment, Tensor InverseSize) Batch(ReadOnlySpan<int> spots)
    {
        int total = 0;
        foreach (int s in spots)
        {
            total += _local[s].Length;
        }

        var rows = new long[total];
        var segment = new long[total];
        var inverse = new float[spots.Length];
        int at = 0;
        for (int k = 0; k < spots.Length; k++)
        {
            var local = _local[spots[k]];
            for (int j = 0; j < local.Length; j++)
            {
                rows[at] = local[j];
                segment[at] = k;
                at++;
            }

            inverse[k] = 1f / local.Length;
        }

        using var index = tensor(rows);
        return (Blocks.index_select(0, index), tensor(segment), tensor(inverse, 1, spots.Length, 1));
    }

    public void Dispose() => Blocks.Dispose();

    private static bool IsFinite(ReadOnlySpan<float> v)
    {
        foreach (float f in v)
        {
            if (!float.IsFinite(f))
            {
                return false;
            }
        }

        return true;
    }
}
