using System.Diagnostics;
using Istar.Imaging;
using Istar.Pipeline;

namespace Istar.Features.Texture;

/// <summary>Measures the throughput of <see cref="TextureExtractor"/> on a synthetic H&amp;E-like image.</summary>
internal static class TextureBenchmark
{
    /// <summary>Megapixels per second over <paramref name="repeats"/> extractions of a width × height image (after one warm-up).</summary>
    public static double MegapixelsPerSecond(int width = 1024, int height = 1024, int repeats = 1) => Measure(width, height, repeats).Wall;

    /// <summary>
    /// Megapixels per wall-clock second and per CPU second of this process (the latter is the fairer number on a
    /// shared machine) over <paramref name="repeats"/> extractions after one warm-up.
    /// </summary>
    public static (double Wall, double Cpu) Measure(int width = 1024, int height = 1024, int repeats = 1)
    {
        var image = new ScaledImage(SyntheticTissue(width, height, seed: 1), width, height, 0.5, width, height);
        var extractor = new TextureExtractor();
        using (extractor.Extract(image, null, SilentRunLog.Instance, CancellationToken.None))
        {
        }

        var process = Process.GetCurrentProcess();
        var cpu0 = process.TotalProcessorTime;
        var clock = Stopwatch.StartNew();
        for (int i = 0; i < repeats; i++)
        {
            using var grid = extractor.Extract(image, null, SilentRunLog.Instance, CancellationToken.None);
        }

        double wall = clock.Elapsed.TotalSeconds;
        process.Refresh();
        double cpu = (process.TotalProcessorTime - cpu0).TotalSeconds;
        double mpx = (double)width * height * repeats / 1e6;
        return (mpx / wall, mpx / Math.Max(cpu, 1e-9));
    }

    /// <summary>A deterministic pink background with purple blobs, for benchmarks and tests.</summary>
    public static byte[] SyntheticTissue(int width, int height, int seed)
    {
        var rgb = new byte[(long)width * height * 3];
        for (int y = 0; y < height; y++)
        {
            for (int x = 0; x < width; x++)
            {
                double v = Math.Sin((x * 0.21) + seed) * Math.Cos(y * 0.13) + (0.5 * Math.Sin((x + y) * 0.05));
                uint hash = (uint)((x * 73856093) ^ (y * 19349663) ^ (seed * 83492791));
                hash ^= hash >> 13;
                hash *= 0x5bd1e995;
                hash ^= hash >> 15;
                double noise = ((hash & 0xff) / 255.0) - 0.5;
                bool nucleus = v > 0.8;
                long at = (((long)y * width) + x) * 3;
                rgb[at] = (byte)Math.Clamp((nucleus ? 90 : 230) + (20 * noise), 0, 255);
                rgb[at + 1] = (byte)Math.Clamp((nucleus ? 60 : 150) + (20 * noise), 0, 255);
                rgb[at + 2] = (byte)Math.Clamp((nucleus ? 150 : 190) + (20 * noise), 0, 255);
            }
        }

        return rgb;
    }
}
