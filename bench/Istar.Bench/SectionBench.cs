using System.Diagnostics;
using Istar.Input;
using Istar.Pipeline;

namespace Istar.Bench;

/// <summary>
/// Whole-section stage timings on a real sample: runs the pipeline up to a stage in a fresh cache and reports the
/// time of each stage and the process's peak RSS. Usage: <c>section INPUT PRESET FEATURES STOP [hipt256 hipt4k]</c>.
/// </summary>
internal static class SectionBench
{
    public static void Run(string[] args)
    {
        if (args.Length < 4)
        {
            Console.Error.WriteLine("usage: section INPUT fast|faithful hipt|texture|resnet18 features|mask|train|all [hipt256 hipt4k]");
            return;
        }

        string output = Path.Combine(Path.GetTempPath(), "istar-bench-" + Guid.NewGuid().ToString("N")[..8]);
        var options = new IstarOptions
        {
            Preset = args[1] == "faithful" ? IstarPreset.Faithful : IstarPreset.Fast,
            Features = args[2],
            StopAfter = args[3] == "all" ? null : args[3],
            Hipt256Path = args.Length > 4 ? args[4] : null,
            Hipt4kPath = args.Length > 5 ? args[5] : null,
            TopGenes = 100,
        };
        var log = new LineLog();
        var clock = Stopwatch.StartNew();
        var result = IstarPipeline.Run(new SampleSource(args[0]), options, output, log);
        double total = clock.Elapsed.TotalSeconds;
        long peak = Process.GetCurrentProcess().PeakWorkingSet64;
        Console.WriteLine("| input | preset | features | stage | seconds |");
        Console.WriteLine("|---|---|---|---|---|");
        foreach (var s in result.Stages)
        {
            Console.WriteLine($"| {Path.GetFileName(args[0])} | {args[1]} | {args[2]} | {s.Stage} | {s.Seconds:0.0} |");
        }

        Console.WriteLine($"total {total:0.0} s; grid {result.GridRows} x {result.GridColumns} blocks; peak RSS {peak / 1e6:0} MB");
        foreach (string line in log.Lines.Where(l => l.Contains("patches", StringComparison.Ordinal)))
        {
            Console.WriteLine(line);
        }

        foreach (string store in Directory.GetFiles(Path.Combine(output, ".istar-cache", "features"), IstarPipeline.FeaturesFile, SearchOption.AllDirectories))
        {
            long raw = (long)result.GridRows * result.GridColumns * Istar.Features.FeatureStore.Describe(store).Channels * sizeof(float);
            Console.WriteLine($"feature store {new FileInfo(store).Length / 1e6:0.0} MB (raw float32 grid {raw / 1e6:0.0} MB)");
        }

        Directory.Delete(output, recursive: true);
    }

    private sealed class LineLog : IRunLog
    {
        public List<string> Lines { get; } = [];

        public void Info(string message) => Lines.Add(message);

        public void Warn(string message) => Lines.Add("warning: " + message);

        public IProgressTask Begin(string stage, string description, long total) => SilentRunLog.Instance.Begin(stage, description, total);
    }
}
