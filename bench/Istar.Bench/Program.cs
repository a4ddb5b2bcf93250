using System.Diagnostics;
using System.Globalization;

namespace Istar.Bench;

/// <summary>
/// Whole-operation benchmarks on this machine: <c>dotnet run -c Release --project bench/Istar.Bench -- NAME…</c>.
/// Each prints Markdown table rows for BENCHMARKS.md. Ratios are only meaningful within one run.
/// </summary>
internal static class Program
{
    private static readonly Dictionary<string, (string What, Action<string[]> Run)> Benchmarks = new(StringComparer.Ordinal)
    {
        ["matmul"] = ("GEMM GFLOP/s ceiling (fp32, bf16), 4096x384 @ 384x1152", _ => MatmulBench.Run()),
        ["vit256"] = ("ViT-256 patches/s, fp32 and bf16, vs the matmul ceiling [depth=12] [batch=16]", VitBench.Run),
        ["texture"] = ("texture extractor Mpx/s [side=4096]", FeatureBench.Texture),
        ["section"] = ("whole-section stage timings and peak RSS: INPUT PRESET FEATURES STOP [hipt256 hipt4k]", SectionBench.Run),
        ["agreement"] = ("default vs faithful HIPT features on a real section, r per channel group: INPUT hipt256 hipt4k", AgreementBench.Run),
        ["training-section"] = ("fast vs faithful training on a real section: INPUT WORKDIR [features] [genes] [threads] [variants…]", SectionTrainingBench.Run),
        ["checkpoint"] = ("HIPT checkpoint load seconds and peak RSS, per file and both networks: PATH256 PATH4K", CheckpointBench.Run),
        ["training"] = ("fast vs faithful training preset [spots-side] [genes] [threads] [faithful-epochs]", TrainingBenchmark.Run),
    };

    public static int Main(string[] args)
    {
        if (args.Length == 0 || args[0] is "-h" or "--help")
        {
            Console.WriteLine("usage: Istar.Bench NAME [args]   names:");
            foreach (var (name, (what, _)) in Benchmarks)
            {
                Console.WriteLine($"  {name,-14} {what}");
            }

            return args.Length == 0 ? 2 : 0;
        }

        if (!Benchmarks.TryGetValue(args[0], out var bench))
        {
            Console.Error.WriteLine($"unknown benchmark '{args[0]}'; known: {string.Join(", ", Benchmarks.Keys)}");
            return 2;
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"# {args[0]}: {bench.What} — {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC, {Environment.ProcessorCount} cores"));
        bench.Run(args[1..]);
        return 0;
    }

    /// <summary>Median seconds of <paramref name="repeats"/> runs after one warm-up.</summary>
    internal static double Time(Action action, int repeats = 3)
    {
        action();
        var times = new List<double>();
        for (int i = 0; i < repeats; i++)
        {
            var sw = Stopwatch.StartNew();
            action();
            times.Add(sw.Elapsed.TotalSeconds);
        }

        times.Sort();
        return times[times.Count / 2];
    }
}
