using System.CommandLine;
using Istar.Cli.Terminal;
using Istar.Evaluation;

namespace Istar.Cli.Commands;

/// <summary><c>istar evaluate</c>: scores a result against a ground-truth grid (the iStar paper's protocol).</summary>
internal sealed class EvaluateCommand : ICliCommand
{
    public Command Build()
    {
        var result = new Argument<string>("result") { Description = "result.h5ad of a run" };
        var truth = new Option<string>("--truth") { Description = "Folder with expression.npy (genes x rows x columns of 8 µm blocks) and genes.tsv, as istar simulate writes", Required = true };
        var output = new Option<string?>("--out") { Description = "Folder for evaluation.tsv and evaluation.json (default: beside the result)" };
        var command = new Command("evaluate", "Score a result against a ground-truth grid: RMSE, SSIM and Pearson per gene at pooling 1, 2, 4, 8")
        {
            result, truth, output,
        };
        command.SetAction(parse => CliRunner.Execute(() =>
        {
            string resultPath = parse.GetValue(result)!;
            var report = TruthEvaluation.Evaluate(resultPath, parse.GetValue(truth)!);
            string dir = parse.GetValue(output) ?? Path.GetDirectoryName(Path.GetFullPath(resultPath))!;
            report.Write(dir);
            Console.Write(report.SummaryTable());
            Console.WriteLine($"per gene: {Path.Combine(dir, "evaluation.tsv")}");
            return 0;
        }));
        return command;
    }
}
