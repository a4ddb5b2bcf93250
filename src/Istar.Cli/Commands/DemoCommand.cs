using System.CommandLine;
using System.Diagnostics;
using Istar.Cli.Terminal;
using Istar.Evaluation;
using Istar.Evaluation.Simulation;

namespace Istar.Cli.Commands;

/// <summary>
/// <c>istar demo</c>: the whole method on a built-in sample with no downloads: simulate a slide with Visium spots and
/// known truth, run every stage with the weight-free texture features, and print the accuracy against the truth.
/// </summary>
internal sealed class DemoCommand : ICliCommand
{
    public Command Build()
    {
        var output = new Option<string>("--out") { Description = "Folder for the simulated sample, the run and the evaluation", DefaultValueFactory = _ => "istar-demo" };
        var size = new Option<double>("--size-um") { Description = "Side of the simulated section in µm", DefaultValueFactory = _ => 2000 };
        var genes = new Option<int>("--genes") { Description = "Genes in the simulated panel", DefaultValueFactory = _ => 100 };
        var seed = new Option<int>("--seed") { Description = "Seed of the simulation and of the run", DefaultValueFactory = _ => 0 };
        var features = new Option<string>("--features") { Description = "texture (default) | resnet18 | hipt (needs weights)", DefaultValueFactory = _ => "texture" };
        features.AcceptOnlyFromAmong("texture", "resnet18", "hipt");
        var epochs = new Option<int?>("--epochs") { Description = "Training epochs (default: the fast preset's)" };
        var command = new Command("demo", "Simulate a sample with known truth, run the whole pipeline on it (no downloads) and print the accuracy")
        {
            output, size, genes, seed, features, epochs,
        };
        command.SetAction(parse => CliRunner.Execute(() =>
        {
            var clock = Stopwatch.StartNew();
            string root = Path.GetFullPath(parse.GetValue(output)!);
            var log = new ConsoleRunLog();
            var simulated = Simulator.Simulate(
                new SimulationOptions
                {
                    OutputFolder = Path.Combine(root, "sample"),
                    WidthMicrons = parse.GetValue(size),
                    HeightMicrons = parse.GetValue(size),
                    Genes = parse.GetValue(genes),
                    Seed = parse.GetValue(seed),
                },
                log);
            var options = new IstarOptions
            {
                Features = parse.GetValue(features)!,
                TopGenes = simulated.Sample.GeneCount,
                Seed = parse.GetValue(seed),
                Epochs = parse.GetValue(epochs),
                Clusters = 6,
            };
            var source = new Input.SampleSource(simulated.SpaceRangerFolder) { ImagePath = simulated.SlidePath };
            var result = IstarPipeline.Run(source, options, Path.Combine(root, "run"), log);
            var report = TruthEvaluation.Evaluate(result.ResultPath, Path.Combine(root, "sample", "truth"));
            report.Write(Path.Combine(root, "evaluation"));
            RunOptions.PrintSummary(result, Console.Out);
            Console.WriteLine();
            Console.WriteLine($"Accuracy against the simulated truth ({report.Genes.Count} genes; per-gene min-max scaling, as in the iStar paper):");
            Console.Write(report.SummaryTable());
            Console.WriteLine($"evaluation: {Path.Combine(root, "evaluation", "evaluation.tsv")}");
            Console.WriteLine(FormattableString.Invariant($"demo finished in {clock.Elapsed.TotalMinutes:0.0} min"));
            return 0;
        }));
        return command;
    }
}
