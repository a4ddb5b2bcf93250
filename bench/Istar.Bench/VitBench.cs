using System.Diagnostics;
using Istar.Features.Hipt;
using static TorchSharp.torch;

namespace Istar.Bench;

/// <summary>
/// ViT-256 (ViT-S/16 at full depth 12, random weights: timing does not depend on the values) patches per second in
/// fp32 and bf16, and the achieved GFLOP/s against the matmul ceiling measured in the same run.
/// </summary>
internal static class VitBench
{
    // One ViT-S/16 forward on 257 tokens: 12 blocks of qkv (3·384²), attention (2·257·384), projection (384²) and
    // MLP (2·384·1536) per token, plus the patch embedding; about 12.3 GFLOP at depth 12 (multiply-adds count 2).
    public static double GflopPerPatch(int depth) =>
        2.0 * ((257 * depth * ((4.0 * 384 * 384) + (2.0 * 384 * 1536) + (2.0 * 257 * 384))) + (256 * 768.0 * 384)) / 1e9;

    public static void Run(string[] args)
    {
        int depth = args.Length > 0 ? int.Parse(args[0], System.Globalization.CultureInfo.InvariantCulture) : 12;
        int batch = args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 16;
        double ceiling = MatmulBench.Measure(ScalarType.Float32);
        double ceilingBf16 = MatmulBench.Measure(ScalarType.BFloat16);
        Console.WriteLine($"matmul ceiling: fp32 {ceiling:0.0} GFLOP/s, bf16 {ceilingBf16:0.0} GFLOP/s; {get_num_threads()} threads");
        Console.WriteLine("| precision | depth | batch | patches/s | GFLOP/s | fraction of matmul ceiling |");
        Console.WriteLine("|---|---|---|---|---|---|");
        foreach (var precision in new[] { HiptPrecision.Fp32, HiptPrecision.Bf16 })
        {
            manual_seed(0);
            var vit = new VisionTransformer256(new VitConfig(384, depth, 6, 1536, 3, 16, 14));
            vit.eval();
            var vit4k = new VisionTransformer4K(new VitConfig(192, 1, 6, 768, 384, 1, 14));

            // The networks own (and dispose) both models.
            using var networks = HiptNetworks.FromModels(vit, vit4k, CPU, precision, "bench");
            using var input = randn(batch, 3, 256, 256);
            using (var warm = networks.RunVit256(input))
            {
            }

            var sw = Stopwatch.StartNew();
            int runs = 0;
            while (sw.Elapsed.TotalSeconds < 20 || runs < 2)
            {
                using var output = networks.RunVit256(input);
                runs++;
            }

            double pps = runs * batch / sw.Elapsed.TotalSeconds;
            double gflops = pps * GflopPerPatch(depth);
            double against = precision == HiptPrecision.Fp32 ? ceiling : ceilingBf16;
            Console.WriteLine($"| {precision} | {depth} | {batch} | {pps:0.0} | {gflops:0.0} | {gflops / against:0.00} of {against:0} |");
        }
    }
}
