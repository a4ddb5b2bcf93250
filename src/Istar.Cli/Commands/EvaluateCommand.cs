using System.CommandLine;
using Istar.Cli.Terminal;
using Istar.Evaluation;
using Istar.Input;

namespace Istar.Cli.Commands;

/// <summary>
/// <c>istar evaluate</c>, in one of two modes: <c>--truth</c> scores a result against a ground-truth grid (the iStar
/// paper's protocol); <c>--pseudo-spots</c> evaluates on real data without ground truth by training on pooled spots and
/// scoring the predictions at the original spots.
/// </summary>
internal sealed class EvaluateCommand : ICliCommand
{
    public Command Build()
    {
        var result = new Argument<string?>("result") { Description = "--truth mode: result.h5ad of a run", Arity = ArgumentArity.ZeroOrOne };
        var truth = new Option<string?>("--truth") { Description = "Mode 1: folder with expression.npy (genes x rows x columns of 8 µm blocks) and genes.tsv, as istar simulate writes" };
        var pseudo = new Option<string?>("--pseudo-spots")
        {
            Description = "Mode 2: a sample (any input istar run reads) to evaluate without ground truth: train on pooled pseudo-spots, score the predictions summed over each original spot against its counts",
        };
        var pool = new Option<double>("--pool") { Description = "--pseudo-spots: side of a pseudo-spot in spot pitches (2 = about 2 x 2 spots)", DefaultValueFactory = _ => 2 };
        var output = new Option<string?>("--out") { Description = "Output folder (--truth: default beside the result; --pseudo-spots: default istar-evaluate)" };
        var sample = new SampleOptions();
        var run = new RunOptions();
        run.TopGenes.DefaultValueFactory = _ => 100;
        run.Clusters.DefaultValueFactory = _ => 0;
        var command = new Command(
            "evaluate",
            "Score predictions. --truth DIR: a result against a ground-truth grid (RMSE, SSIM, Pearson per gene at pooling 1, 2, 4, 8). "
            + "--pseudo-spots INPUT: real data without truth; train on pooled spots, per-gene Pearson and min-max RMSE at the original spots")
        {
            result, truth, pseudo, pool, output,
        };
        sample.AddOptionsTo(command);
        run.AddTo(command, withOutput: false);
        command.SetAction(parse => CliRunner.Execute(() =>
        {
            string? resultPath = parse.GetValue(result);
            string? truthDir = parse.GetValue(truth);
            string? input = parse.GetValue(pseudo);
            if ((truthDir is null) == (input is null))
            {
                throw new InputException(
                    "istar evaluate",
                    truthDir is null ? "no mode given." : "--truth and --pseudo-spots were both given.",
                    "Use either 'istar evaluate RESULT.h5ad --truth DIR' (against a ground-truth grid) or 'istar evaluate --pseudo-spots INPUT' (real data, no truth).");
            }

            if (truthDir is not null)
            {
                if (resultPath is null)
                {
                    throw new InputException("istar evaluate --truth", "no result given.", "Pass the run's result.h5ad before --truth.");
                }

                var report = TruthEvaluation.Evaluate(resultPath, truthDir);
                string dir = parse.GetValue(output) ?? Path.GetDirectoryName(Path.GetFullPath(resultPath))!;
                report.Write(dir);
                Console.Write(report.SummaryTable());
                Console.WriteLine($"per gene: {Path.Combine(dir, "evaluation.tsv")}");
                return 0;
            }

            if (resultPath is not null)
            {
                throw new InputException("istar evaluate --pseudo-spots", $"unexpected argument '{resultPath}'.", "The sample goes after --pseudo-spots; a result.h5ad is only read with --truth.");
            }

            var options = run.Options(parse);
            if (options.ValidateFraction > 0)
            {
                throw new InputException("--validate", "does not apply to --pseudo-spots.", "Leave --validate out: the original spots are the held-out resolution.");
            }

            string outDir = Path.GetFullPath(parse.GetValue(output) ?? "istar-evaluate");
            var pseudoReport = PseudoSpotEvaluation.Run(sample.Source(parse, input!), options, outDir, new ConsoleRunLog(), new PseudoSpotOptions { Pool = parse.GetValue(pool) });
            RunOptions.PrintSummary(pseudoReport.Run!, Console.Out);
            Console.WriteLine();
            Console.WriteLine(FormattableString.Invariant(
                $"Pseudo-spot evaluation: trained on {pseudoReport.PseudoSpots} pseudo-spots (pool {pseudoReport.Pool:0.##} x {pseudoReport.PitchMicrons:0} µm pitch), scored at {pseudoReport.ScoredSpots} spots:"));
            Console.Write(pseudoReport.SummaryTable());
            Console.WriteLine($"per gene: {Path.Combine(outDir, PseudoSpotEvaluation.TableFile)}");
            Console.WriteLine($"plot:     {Path.Combine(outDir, PseudoSpotEvaluation.PlotFile)}");
            return 0;
        }));
        return command;
    }
}
