using Istar.Features.Texture;

namespace Istar.Bench;

/// <summary>Weight-free texture extractor throughput on a synthetic tissue image.</summary>
internal static class FeatureBench
{
    public static void Texture(string[] args)
    {
        int side = args.Length > 0 ? int.Parse(args[0], System.Globalization.CultureInfo.InvariantCulture) : 4096;
        var (wall, cpu) = TextureBenchmark.Measure(side, side, 1);
        Console.WriteLine("| extractor | image | wall s | CPU s | Mpx/s (wall) |");
        Console.WriteLine("|---|---|---|---|---|");
        Console.WriteLine($"| texture | {side}x{side} | {wall:0.0} | {cpu:0.0} | {side * (double)side / 1e6 / wall:0.00} |");
    }
}
