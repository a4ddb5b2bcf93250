using System.Globalization;
using Istar.Features.ResNet18;

namespace Istar.Tests.Features.ResNet;

public class ResNet18ThroughputTests(ITestOutputHelper output)
{
    [Fact]
    public void Throughput_at_2_threads_is_measured_when_ISTAR_BENCH_is_set()
    {
        if (Environment.GetEnvironmentVariable("ISTAR_BENCH") != "1")
        {
            Assert.Skip("Set ISTAR_BENCH=1 to measure ResNet-18 throughput (slow on a shared machine).");
        }

        var image = ResNet18TestData.HeImage(0, 0, 1024, 768);
        foreach (var options in new[] { new ResNet18Options { Threads = 2 }, new ResNet18Options { Threads = 2, Layers = ResNet18Layers.Layer2 | ResNet18Layers.Layer3, Halo = 128 } })
        {
            var result = ResNet18Benchmark.Measure(ResNet18TestData.Extractor(options), image);
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{options.LayerNames} tile {options.TileSize} halo {options.Halo}: {result.Megapixels:F2} Mpx in {result.WallSeconds:F1} s wall, {result.CpuSeconds:F1} s CPU -> {result.MegapixelsPerSecond:F3} Mpx/s wall, {result.MegapixelsPerSecondUncontended:F3} Mpx/s per {result.Threads} CPU-s"));
        }
    }
}
