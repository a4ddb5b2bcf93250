using System.Diagnostics;
using System.Globalization;
using Istar.Evaluation;
using Istar.Features;
using Istar.Input;
using Istar.Pipeline;

namespace Istar.Bench;

/// <summary>
/// How far the default (fast) HIPT features are from the faithful 16-shift grid on a real section: runs both presets
/// up to the feature stage in one cache, then reports Pearson r per channel group over the blocks that both
/// computed (inside the fast path's tissue hint and outside the faithful path's zeroed 16-block trailing margin).
/// Usage: <c>agreement INPUT hipt256 hipt4k</c>.
/// </summary>
internal static class AgreementBench
{
    public static void Run(string[] args)
    {
        if (args.Length < 3)
        {
            Console.Error.WriteLine("usage: agreement INPUT hipt256 hipt4k");
            return;
        }

        string output = Path.Combine(Path.GetTempPath(), "istar-agreement-" + Guid.NewGuid().ToString("N")[..8]);
        try
        {
            var seconds = new Dictionary<IstarPreset, double>();
            foreach (var preset in new[] { IstarPreset.Fast, IstarPreset.Faithful })
            {
                var options = new IstarOptions
                {
                    Preset = preset,
                    Features = "hipt",
                    StopAfter = "features",
                    Hipt256Path = args[1],
                    Hipt4kPath = args[2],
                };
                var clock = Stopwatch.StartNew();
                IstarPipeline.Run(new SampleSource(args[0]), options, output, SilentRunLog.Instance);
                seconds[preset] = clock.Elapsed.TotalSeconds;
            }

            var stores = Directory.GetFiles(Path.Combine(output, ".istar-cache", "features"), IstarPipeline.FeaturesFile, SearchOption.AllDirectories)
                .Select(p => FeatureGrid.Open(p)).ToList();
            using var fast = stores.Single(g => g.Provenance.Mode == "fast");
            using var faithful = stores.Single(g => g.Provenance.Mode == "faithful");
            Report(args[0], fast, faithful, seconds);
        }
        finally
        {
            Directory.Delete(output, recursive: true);
        }
    }

    private static void Report(string input, FeatureGrid fast, FeatureGrid faithful, Dictionary<IstarPreset, double> seconds)
    {
        if (fast.Rows != faithful.Rows || fast.Columns != faithful.Columns)
        {
            throw new InvalidOperationException($"grids differ: fast {fast.Rows}x{fast.Columns}, faithful {faithful.Rows}x{faithful.Columns}");
        }

        // The faithful grid zeroes its trailing 16 blocks (spec §5.5); the fast grid is zero outside its hint.
        const int margin = 16;
        var blocks = new List<(int Row, int Column)>();
        for (int r = 0; r < fast.Rows - margin; r++)
        {
            for (int c = 0; c < fast.Columns - margin; c++)
            {
                if (fast.Block(r, c).IndexOfAnyExcept(0f) >= 0)
                {
                    blocks.Add((r, c));
                }
            }
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{Path.GetFileName(input)}: grid {fast.Rows} x {fast.Columns}, {blocks.Count} blocks compared; features s: fast {seconds[IstarPreset.Fast]:0.0}, faithful {seconds[IstarPreset.Faithful]:0.0}"));
        Console.WriteLine("| group | r over all values | median per-channel r | channels with r > 0.9 |");
        Console.WriteLine("|---|---|---|---|");
        foreach (var group in faithful.Provenance.Groups)
        {
            var allFast = new List<double>();
            var allFaithful = new List<double>();
            var perChannel = new double[group.Count];
            var a = new double[blocks.Count];
            var b = new double[blocks.Count];
            for (int k = 0; k < group.Count; k++)
            {
                for (int i = 0; i < blocks.Count; i++)
                {
                    var (r, c) = blocks[i];
                    a[i] = fast.Block(r, c)[group.Start + k];
                    b[i] = faithful.Block(r, c)[group.Start + k];
                }

                perChannel[k] = Metrics.Pearson(a, b);
                allFast.AddRange(a);
                allFaithful.AddRange(b);
            }

            double overall = Metrics.Pearson(allFast.ToArray(), allFaithful.ToArray());
            Array.Sort(perChannel);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {group.Name} | {overall:0.000} | {perChannel[perChannel.Length / 2]:0.000} | {perChannel.Count(x => x > 0.9)} of {group.Count} |"));
        }
    }
}
