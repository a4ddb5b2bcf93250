using System.Diagnostics;
using Istar.Imaging;
using Istar.Pipeline;

namespace Istar.Features.ResNet18;

/// <summary>Measures the throughput of <see cref="ResNet18Extractor"/> on an image (after one warm-up tile).</summary>
internal static class ResNet18Benchmark
{
    /// <summary>One measurement: image megapixels per wall second and per CPU-second of this process.</summary>
    public sealed record Result(double Megapixels, double WallSeconds, double CpuSeconds, int Threads)
    {
        /// <summary>Image Mpx per wall-clock second.</summary>
        public double MegapixelsPerSecond => Megapixels / WallSeconds;

        /// <summary>Image Mpx per second if the process had its <see cref="Threads"/> cores to itself.</summary>
        public double MegapixelsPerSecondUncontended => Megapixels / (CpuSeconds / Threads);
    }

    /// <summary>Extracts <paramref name="image"/> once to warm up on a small crop, then measures a full extraction.</summary>
    public static Result Measure(ResNet18Extractor extractor, ScaledImage image)
    {
        ArgumentNullException.ThrowIfNull(extractor);
        ArgumentNullException.ThrowIfNull(image);
        int rows = Math.Min(256, image.Height);
        var warm = new ScaledImage(image.ReadRows(0, rows).ToArray(), image.Width, rows, image.MicronsPerPixel, image.Width, rows);
        using (extractor.Extract(warm, null, SilentRunLog.Instance, CancellationToken.None))
        {
        }

        var process = Process.GetCurrentProcess();
        var cpu0 = process.TotalProcessorTime;
        var clock = Stopwatch.StartNew();
        using (extractor.Extract(image, null, SilentRunLog.Instance, CancellationToken.None))
        {
        }

        double wall = clock.Elapsed.TotalSeconds;
        process.Refresh();
        double cpu = (process.TotalProcessorTime - cpu0).TotalSeconds;
        int threads = extractor.Options.Threads > 0 ? extractor.Options.Threads : TorchSharp.torch.get_num_threads();
        return new Result(image.Width * (double)image.Height / 1e6, wall, cpu, threads);
    }
}
