using System.CommandLine;
using Istar.Cli.Commands;
using Istar.Cli.Terminal;

namespace Istar.Cli;

/// <summary>The <c>istar</c> command: a thin layer that parses options and calls the library.</summary>
public static class Program
{
    /// <summary>Entry point.</summary>
    public static int Main(string[] args)
    {
        var root = BuildRoot();
        return root.Parse(args).Invoke();
    }

    internal static RootCommand BuildRoot()
    {
        var root = new RootCommand("istar: super-resolved spatial gene expression from H&E (iStar) in .NET");
        var verbose = new Option<bool>("--verbose") { Description = "Print stack traces for unexpected errors", Recursive = true };
        root.Options.Add(verbose);
        var commands = typeof(Program).Assembly.GetTypes()
            .Where(t => typeof(ICliCommand).IsAssignableFrom(t) && t is { IsAbstract: false, IsInterface: false })
            .Select(t => (ICliCommand)Activator.CreateInstance(t)!)
            .Select(c => c.Build())
            .OrderBy(c => c.Name, StringComparer.Ordinal);
        foreach (var command in commands)
        {
            root.Subcommands.Add(command);
        }

        root.SetAction(parse =>
        {
            Console.WriteLine("istar " + Istar.IstarInfo.Version + ": run 'istar --help' for the commands.");
            return 0;
        });
        CliRunner.Verbose = Environment.GetCommandLineArgs().Contains("--verbose");
        return root;
    }
}
