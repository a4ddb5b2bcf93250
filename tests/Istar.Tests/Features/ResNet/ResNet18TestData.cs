using System.Collections.Concurrent;
using Istar.Features.ResNet18;
using Istar.Imaging;
using Istar.Tests.Support;

namespace Istar.Tests.Features.ResNet;

/// <summary>Shared inputs of the ResNet-18 tests: the packaged weights, one extractor per option set, and H&amp;E crops.</summary>
internal static class ResNet18TestData
{
    private static readonly ConcurrentDictionary<ResNet18Options, ResNet18Extractor> Extractors = new();
    private static readonly Lazy<(byte[] Rgb, int Width, int Height)> HeCrop = new(() => LoadRgb(SharedData.Require("fixtures", "hipt", "he_crop.png")));

    /// <summary>The weights copied to the test output folder (skips when the package was not restored).</summary>
    public static ResNet18Files Files()
    {
        string onnx = Path.Combine(AppContext.BaseDirectory, "models", "resnet18", ResNet18Files.OnnxFileName);
        if (!File.Exists(onnx))
        {
            Assert.Skip($"{onnx} is missing: restore did not fetch {ResNet18Files.PackageId}.");
        }

        return ResNet18Files.Resolve(null);
    }

    /// <summary>An extractor for these options, shared between tests (loading the 63 MB file takes a second).</summary>
    public static ResNet18Extractor Extractor(ResNet18Options options)
    {
        Files();
        return Extractors.GetOrAdd(options, o => new ResNet18Extractor(o));
    }

    /// <summary>A width × height crop of the 1024 × 768 H&amp;E fixture at (x, y), as a scaled image at 0.5 µm/px.</summary>
    public static ScaledImage HeImage(int x, int y, int width, int height)
    {
        var (rgb, w, h) = HeCrop.Value;
        if (x + width > w || y + height > h)
        {
            throw new ArgumentOutOfRangeException(nameof(width), "crop outside the fixture");
        }

        var crop = new byte[width * height * 3];
        for (int r = 0; r < height; r++)
        {
            Array.Copy(rgb, (((y + r) * w) + x) * 3, crop, r * width * 3, width * 3);
        }

        return new ScaledImage(crop, width, height, 0.5, width, height);
    }

    /// <summary>The crop's RGB bytes.</summary>
    public static byte[] HeRgb(int x, int y, int width, int height)
    {
        var image = HeImage(x, y, width, height);
        return image.ReadRows(0, height).ToArray();
    }

    private static (byte[] Rgb, int Width, int Height) LoadRgb(string path)
    {
        using var image = NetVips.Image.NewFromFile(path, access: NetVips.Enums.Access.Sequential);
        using var rgb = image.Bands >= 3 ? image.ExtractBand(0, 3) : image.Colourspace(NetVips.Enums.Interpretation.Srgb);
        using var bytes = rgb.Cast(NetVips.Enums.BandFormat.Uchar);
        return (bytes.WriteToMemory<byte>(), bytes.Width, bytes.Height);
    }
}
