using System.CommandLine;
using Istar.Cli.Terminal;

namespace Istar.Cli.Commands;

/// <summary>
/// The stage verbs for users who script the steps as the reference's users do: each runs the pipeline up to its stage
/// (reusing the cache of earlier stages) and leaves that stage's output in <c>--out</c>.
/// </summary>
internal abstract class StageCommand(string name, string description, string stopAfter) : ICliCommand
{
    public Command Build()
    {
        var sample = new SampleOptions();
        var run = new RunOptions();
        var command = new Command(name, description);
        sample.AddTo(command);
        run.AddTo(command, withExportNpy: false);
        var exportFeatures = new Option<string?>("--export-npy") { Description = "Folder for cls.npy, sub.npy, rgb.npy (float32, C × Hb × Wb, the reference's layout)" };
        if (stopAfter == "features")
        {
            command.Options.Add(exportFeatures);
        }

        command.SetAction(parse => CliRunner.Execute(() =>
        {
            var options = run.Options(parse) with
            {
                StopAfter = stopAfter,
                ExportFeaturesDirectory = stopAfter == "features" ? parse.GetValue(exportFeatures) : null,
            };
            var result = IstarPipeline.Run(sample.Source(parse), options, parse.GetValue(run.Output)!, new ConsoleRunLog());
            Console.WriteLine($"{name}: done in {result.OutputDirectory} ({result.GridRows} x {result.GridColumns} blocks)");
            Console.WriteLine("stages:  " + string.Join(", ", result.Stages.Select(s => FormattableString.Invariant($"{s.Stage} {(s.CacheHit ? "cached" : $"{s.Seconds:0.0}s")}"))));
            return 0;
        }));
        return command;
    }
}

internal sealed class FeaturesCommand() : StageCommand("features", "Rescale the slide and extract the block features (cached); optionally export them as .npy", "features");

internal sealed class MaskCommand() : StageCommand("mask", "Run up to the tissue mask; writes mask.npy and mask-overlay.png", "mask");

internal sealed class TrainCommand() : StageCommand("train", "Run up to training; writes the ensemble (reference-named .npy per state)", "train");

internal sealed class PredictCommand() : StageCommand("predict", "Run every stage (same as run)", "predict");
