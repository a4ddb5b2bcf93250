using System.Diagnostics;
using System.Globalization;
using Istar.Features;
using Istar.Pipeline;
using Istar.Prediction;
using Istar.Training;

namespace Istar.Bench;

/// <summary>
/// Faithful vs fast training preset on a synthetic slide with a known per-block truth: wall time, final training loss
/// (same metric for both: MSE of footprint-mean normalized predictions over all training spots, averaged over members)
/// and held-out accuracy (mean per-gene Pearson on 20 % held-out spots).
/// Usage: <c>dotnet run --project bench/Istar.Bench -c Release -- training [spots-side] [genes] [threads] [faithful-epochs] [variants…]</c>.
/// </summary>
internal static class TrainingBenchmark
{
    public static void Run(string[] args)
    {
        int side = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 20;
        int genes = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 50;
        int threads = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 2;
        int faithfulEpochs = args.Length > 3 ? int.Parse(args[3], CultureInfo.InvariantCulture) : 400;
        using var slide = Synthetic(side, genes, channels: 64, seed: 1);
        Console.WriteLine($"synthetic slide: {slide.Set.SpotCount} spots, {genes} genes, {slide.Grid.Rows}x{slide.Grid.Columns} blocks, 64 channels, threads {threads}");
        var variants = args.Length > 4 ? args[4..] : ["faithful", "fast"];
        foreach (string variant in variants)
        {
            var options = Parse(variant, threads, faithfulEpochs);
            var cpu = Process.GetCurrentProcess().TotalProcessorTime;
            var clock = Stopwatch.StartNew();
            using var ensemble = ExpressionTrainer.Train(slide.Grid, slide.Set, options, SilentRunLog.Instance);
            double seconds = clock.Elapsed.TotalSeconds;
            double cpuSeconds = (Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalSeconds;
            double loss = ExpressionTrainer.EvaluateLoss(ensemble, slide.Grid, slide.Set);
            clock.Restart();
            var report = HoldOutValidation.Run(slide.Grid, slide.Set, 0.2, options, SilentRunLog.Instance);
            int n = slide.Set.SpotCount;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{variant,-28} epochs {options.EpochsFor(n),4} batch {options.BatchSizeFor(n),4}: train {seconds,7:F1} s wall {cpuSeconds,7:F1} s cpu, final loss {loss:E4}, held-out mean r {report.MeanPearson:F4} (validation {clock.Elapsed.TotalSeconds:F1} s)"));
        }
    }

    /// <summary>"faithful", "fast", or a preset with overrides: <c>fast:lr=3e-3,epochs=40,batch=128,steps=1000,states=5</c>.</summary>
    internal static TrainingOptions Parse(string variant, int threads, int faithfulEpochs)
    {
        string[] parts = variant.Split(':', 2);
        var options = parts[0] == "faithful" ? TrainingOptions.Faithful with { Epochs = faithfulEpochs } : TrainingOptions.Fast;
        options = options with { Threads = threads };
        if (parts.Length == 2)
        {
            foreach (string kv in parts[1].Split(','))
            {
                var (key, value) = (kv.Split('=')[0], kv.Split('=')[1]);
                double v = double.Parse(value, CultureInfo.InvariantCulture);
                options = key switch
                {
                    "lr" => options with { LearningRate = v },
                    "epochs" => options with { Epochs = (int)v },
                    "batch" => options with { BatchSize = (int)v },
                    "steps" => options with { MinimumSteps = (int)v },
                    "states" => options with { States = (int)v },
                    "std" => options with { StandardizeFeatures = v != 0 },
                    "together" => options with { TrainMembersTogether = v != 0 },
                    "cosine" => options with { Schedule = v != 0 ? LearningRateSchedule.WarmupCosine : LearningRateSchedule.Constant },
                    _ => throw new ArgumentException($"unknown key {key}"),
                };
            }
        }

        return options;
    }

    internal sealed class SyntheticData(FeatureGrid grid, TrainingSet set) : IDisposable
    {
        public FeatureGrid Grid { get; } = grid;

        public TrainingSet Set { get; } = set;

        public void Dispose() => Grid.Dispose();
    }

    /// <summary>Visium-like: 37-block disks on a 100 µm lattice (12.5 blocks), features smooth + noise, genes nonlinear mixtures.</summary>
    internal static SyntheticData Synthetic(int side, int genes, int channels, int seed)
    {
        var rng = new Random(seed);
        int rows = (int)Math.Ceiling(side * 12.5) + 10;
        int columns = rows;
        var grid = FeatureGrid.Allocate(rows, columns, channels, new FeatureProvenance("synthetic", "bench", 0.5, 16, "", ""));
        var mix = new double[genes * 4];
        for (int k = 0; k < mix.Length; k++)
        {
            mix[k] = rng.NextDouble();
        }

        var truth = new float[rows * columns * genes];
        for (int r = 0; r < rows; r++)
        {
            for (int c = 0; c < columns; c++)
            {
                var v = grid.Block(r, c);
                for (int k = 0; k < channels; k++)
                {
                    v[k] = (float)((Math.Sin((r * (k + 1) * 0.05) + k) * Math.Cos(c * 0.07 * ((k % 5) + 1))) + (0.5 * Normal(rng)));
                }

                for (int g = 0; g < genes; g++)
                {
                    double z = (mix[g * 4] * v[g % channels]) - (mix[(g * 4) + 1] * v[(g + 1) % channels]) + (mix[(g * 4) + 2] * v[(g * 7) % channels] * v[(g * 3) % channels]);
                    truth[(((r * columns) + c) * genes) + g] = (float)(5 * mix[(g * 4) + 3] * Math.Exp(Math.Clamp(z, -4, 3)));
                }
            }
        }

        var footprints = new List<SpotFootprint>();
        var counts = new List<float>();
        for (int i = 0; i < side; i++)
        {
            for (int j = 0; j < side; j++)
            {
                double y = (i * 12.5) + 5 + (j % 2 * 6.25);
                double x = (j * 12.5) + 5;
                var fp = FootprintBuilder.ExactDisk(x * 16, y * 16, 55).ClipTo(rows, columns);
                footprints.Add(fp);
                for (int g = 0; g < genes; g++)
                {
                    double mean = 0;
                    foreach (int b in fp.LinearIndices(columns))
                    {
                        mean += truth[(b * genes) + g];
                    }

                    counts.Add(Poisson(rng, mean));
                }
            }
        }

        var names = Enumerable.Range(0, genes).Select(g => $"G{g}").ToList();
        var set = TrainingSet.Create(rows, columns, names, counts.ToArray(), footprints, Math.PI * 55 * 55 / 256, SilentRunLog.Instance);
        return new SyntheticData(grid, set);
    }

    private static double Normal(Random rng) =>
        Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble());

    private static float Poisson(Random rng, double lambda)
    {
        if (lambda > 30)
        {
            return (float)Math.Max(0, Math.Round(lambda + (Math.Sqrt(lambda) * Normal(rng))));
        }

        double l = Math.Exp(-lambda), p = 1;
        int k = 0;
        do
        {
            k++;
            p *= rng.NextDouble();
        }
        while (p > l);
        return k - 1;
    }
}
