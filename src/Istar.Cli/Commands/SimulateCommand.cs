using System.CommandLine;
using Istar.Cli.Terminal;
using Istar.Evaluation.Simulation;

namespace Istar.Cli.Commands;

/// <summary><c>istar simulate</c>: writes a simulated H&amp;E slide with Visium spots and the known truth.</summary>
internal sealed class SimulateCommand : ICliCommand
{
    public Command Build()
    {
        var output = new Option<string>("--out") { Description = "Folder to write outs/, slide.tif, truth/ and simulation.json to", Required = true };
        var width = new Option<double>("--width-um") { Description = "Slide width in µm", DefaultValueFactory = _ => 2400 };
        var height = new Option<double>("--height-um") { Description = "Slide height in µm", DefaultValueFactory = _ => 2400 };
        var pixelSize = new Option<double>("--pixel-size") { Description = "Full-resolution pixel size in µm/px", DefaultValueFactory = _ => 0.5 };
        var genes = new Option<int>("--genes") { Description = "Number of genes (30 markers, 13 program genes, then background genes)", DefaultValueFactory = _ => 100 };
        var seed = new Option<int>("--seed") { Description = "Random seed; the same seed gives identical files", DefaultValueFactory = _ => 0 };
        var depth = new Option<double>("--depth") { Description = "Sequencing depth factor (1 ≈ 100 counts per cell over the panel)", DefaultValueFactory = _ => 1.0 };
        var command = new Command("simulate", "Write a simulated H&E slide with Visium spots (Space Ranger layout) and its ground truth")
        {
            output, width, height, pixelSize, genes, seed, depth,
        };
        command.SetAction(parse => CliRunner.Execute(() =>
        {
            var options = new SimulationOptions
            {
                OutputFolder = parse.GetValue(output)!,
                WidthMicrons = parse.GetValue(width),
                HeightMicrons = parse.GetValue(height),
                MicronsPerPixel = parse.GetValue(pixelSize),
                Genes = parse.GetValue(genes),
                Seed = parse.GetValue(seed),
                Depth = parse.GetValue(depth),
            };
            var result = Simulator.Simulate(options, new ConsoleRunLog());
            Console.WriteLine($"slide:        {result.SlidePath}");
            Console.WriteLine($"space ranger: {result.SpaceRangerFolder}");
            Console.WriteLine($"truth:        {Path.Combine(options.OutputFolder, "truth")} ({result.Sample.GeneCount} genes x {result.BlockRows} x {result.BlockColumns} blocks of 8 µm)");
            Console.WriteLine($"spots:        {result.Sample.SpotCount} under tissue");
            return 0;
        }));
        return command;
    }
}
