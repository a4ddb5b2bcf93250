using static TorchSharp.torch;

namespace Istar.Bench;

/// <summary>The practical matrix-multiply ceiling of this machine, to judge model throughput against.</summary>
internal static class MatmulBench
{
    public static double GflopsFp32 { get; private set; }

    public static void Run()
    {
        Console.WriteLine("| dtype | GFLOP/s |");
        Console.WriteLine("|---|---|");
        foreach (var dtype in new[] { ScalarType.Float32, ScalarType.BFloat16 })
        {
            double g = Measure(dtype);
            if (dtype == ScalarType.Float32)
            {
                GflopsFp32 = g;
            }

            Console.WriteLine($"| {dtype} | {g:0.0} |");
        }
    }

    public static double Measure(ScalarType dtype)
    {
        using var scope = NewDisposeScope();
        using var a = randn(4096, 384).to(dtype);
        using var b = randn(384, 1152).to(dtype);
        double seconds = Program.Time(() =>
        {
            using var _ = no_grad();
            for (int i = 0; i < 5; i++)
            {
                using var c = matmul(a, b);
            }
        });
        return 5 * 2.0 * 4096 * 384 * 1152 / seconds / 1e9;
    }
}
