using System.Diagnostics;
using System.Globalization;
using Istar.Features;
using Istar.Input;
using Istar.Pipeline;
using Istar.Prediction;
using Istar.Training;

namespace Istar.Bench;

/// <summary>
/// Fast vs faithful training preset on a real section: the pipeline's own features, mask, gene panel and exact-disk
/// footprints (computed once, cached in WORKDIR), then for each variant one training run on 80 % of the spots
/// (seeded split) with its wall and CPU time, its final training loss on those spots (the same metric for every
/// variant) and the mean per-gene Pearson on the 20 % held out.
/// Usage: <c>training-section INPUT WORKDIR [features=texture] [genes=1000] [threads=2] [variants…]</c>.
/// </summary>
internal static class SectionTrainingBench
{
    public static void Run(string[] args)
    {
        if (args.Length < 2)
        {
            Console.Error.WriteLine("usage: training-section INPUT WORKDIR [features=texture] [genes=1000] [threads=2] [variants…]");
            return;
        }

        string features = args.Length > 2 ? args[2] : "texture";
        int genes = args.Length > 3 ? int.Parse(args[3], CultureInfo.InvariantCulture) : 1000;
        int threads = args.Length > 4 ? int.Parse(args[4], CultureInfo.InvariantCulture) : 2;
        var variants = args.Length > 5 ? args[5..] : ["fast", "faithful"];
        var options = new IstarOptions { Features = features, TopGenes = genes, StopAfter = "features", Threads = threads };
        var source = new SampleSource(args[0]);
        IstarPipeline.Run(source, options, args[1], SilentRunLog.Instance);
        string featuresPath = Directory.GetFiles(Path.Combine(args[1], ".istar-cache", "features"), IstarPipeline.FeaturesFile, SearchOption.AllDirectories).Single();
        using var grid = FeatureGrid.Open(featuresPath);
        var sample = SampleReader.Read(source);
        var panel = IstarPipeline.SelectPanel(sample, options, SilentRunLog.Instance);
        var set = TrainingSet.FromSample(sample, panel, grid.Rows, grid.Columns, options.TargetMicronsPerPixel, FootprintRule.Exact, SilentRunLog.Instance);
        var held = HoldOutValidation.ChooseHeldOut(set.SpotCount, 0.2, seed: 0);
        var heldSet = held.ToHashSet();
        var train = set.Subset(Enumerable.Range(0, set.SpotCount).Where(s => !heldSet.Contains(s)).ToArray());
        var test = set.Subset(held);
        Console.WriteLine($"{Path.GetFileName(args[0])}: {set.SpotCount} spots ({train.SpotCount} train, {test.SpotCount} held out), {panel.Names.Count} genes, "
            + $"{grid.Rows}x{grid.Columns} blocks, {grid.Channels} {features} channels, threads {threads}");
        Console.WriteLine("| variant | epochs | batch | train wall s | train CPU s | final training loss | held-out mean Pearson |");
        Console.WriteLine("|---|---|---|---|---|---|---|");
        foreach (string variant in variants)
        {
            var training = TrainingBenchmark.Parse(variant, threads, faithfulEpochs: 400);
            var cpu = Process.GetCurrentProcess().TotalProcessorTime;
            var clock = Stopwatch.StartNew();
            using var ensemble = ExpressionTrainer.Train(grid, train, training, SilentRunLog.Instance);
            double wall = clock.Elapsed.TotalSeconds;
            double cpuSeconds = (Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalSeconds;
            double loss = ExpressionTrainer.EvaluateLoss(ensemble, grid, train);
            var report = HoldOutValidation.Score(ensemble, grid, test, held);
            int n = train.SpotCount;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {variant} | {training.EpochsFor(n)} | {training.BatchSizeFor(n)} | {wall:F1} | {cpuSeconds:F1} | {loss:E3} | {report.MeanPearson:F4} |"));
        }
    }
}
