using System.CommandLine;
using Istar.Cli.Terminal;

namespace Istar.Cli.Commands;

/// <summary><c>istar run</c>: every stage on one sample, with the stage cache.</summary>
internal sealed class RunCommand : ICliCommand
{
    public Command Build()
    {
        var sample = new SampleOptions();
        var run = new RunOptions();
        var command = new Command("run", "Predict super-resolved gene expression on the 8 µm block grid: read, rescale, features, mask, train, predict, write");
        sample.AddTo(command);
        run.AddTo(command);
        command.SetAction(parse => CliRunner.Execute(() =>
        {
            var result = IstarPipeline.Run(sample.Source(parse), run.Options(parse), parse.GetValue(run.Output)!, new ConsoleRunLog());
            RunOptions.PrintSummary(result, Console.Out);
            return 0;
        }));
        return command;
    }
}
