using System.Globalization;
using Istar.Input;

namespace Istar.Features.ResNet18;

/// <summary>Which ResNet-18 stages go into the per-block vector (in this order).</summary>
[Flags]
public enum ResNet18Layers
{
    /// <summary>None (invalid on its own).</summary>
    None = 0,

    /// <summary>layer2: stride 8, 128 channels, [1 2 1]² filtered down to stride 16. Receptive field 99 px.</summary>
    Layer2 = 1,

    /// <summary>layer3: stride 16, 256 channels, one cell per block. Receptive field 211 px.</summary>
    Layer3 = 2,

    /// <summary>layer4: stride 32, 512 channels, bilinearly upsampled to stride 16. Receptive field 435 px.</summary>
    Layer4 = 4,

    /// <summary>All three: 896 channels (the default).</summary>
    All = Layer2 | Layer3 | Layer4,
}

/// <summary>Options of <see cref="ResNet18Extractor"/>.</summary>
public sealed record ResNet18Options
{
    /// <summary>Path of <c>ResNet18.onnx</c> (with <c>ResNetPreprocess.onnx</c> beside it); null finds the packaged copy.</summary>
    public string? OnnxPath { get; init; }

    /// <summary>Stages to concatenate.</summary>
    public ResNet18Layers Layers { get; init; } = ResNet18Layers.All;

    /// <summary>
    /// Side of the square tile whose blocks one network pass produces, px (a multiple of 32). Larger tiles spend less
    /// on the halo: (1024 + 2·256)² / 1024² = 2.25 pixels through the network per image pixel.
    /// </summary>
    public int TileSize { get; init; } = 1024;

    /// <summary>
    /// Context read around each tile on every side, px (a multiple of 32); hides the tile seams. layer2 needs 64 and
    /// layer3 128 to be seam-free to float rounding; layer4 (receptive field 435 px) changes by ~2 % RMS near the
    /// seams at 192 and by &lt; 0.1 % at 256 (docs/features-resnet18.md).
    /// </summary>
    public int Halo { get; init; } = 256;

    /// <summary>Torch intra-op threads; 0 keeps libtorch's default.</summary>
    public int Threads { get; init; }

    /// <summary>Channels for <see cref="Layers"/>.</summary>
    public int Channels => ((Layers & ResNet18Layers.Layer2) != 0 ? 128 : 0) + ((Layers & ResNet18Layers.Layer3) != 0 ? 256 : 0) + ((Layers & ResNet18Layers.Layer4) != 0 ? 512 : 0);

    /// <summary>Layers as text, e.g. <c>layer2+layer3+layer4</c>.</summary>
    public string LayerNames => string.Join('+', LayerList().Select(l => l.ToString().ToLowerInvariant()));

    /// <summary>Parses <c>layer2,layer3,layer4</c> (or <c>2,3,4</c>, <c>all</c>), as given to <c>--resnet18-layers</c>.</summary>
    public static ResNet18Layers ParseLayers(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (text.Trim().Equals("all", StringComparison.OrdinalIgnoreCase))
        {
            return ResNet18Layers.All;
        }

        var layers = ResNet18Layers.None;
        foreach (string part in text.Split([',', '+', ' '], StringSplitOptions.RemoveEmptyEntries))
        {
            layers |= part.Trim().ToLowerInvariant() switch
            {
                "layer2" or "2" => ResNet18Layers.Layer2,
                "layer3" or "3" => ResNet18Layers.Layer3,
                "layer4" or "4" => ResNet18Layers.Layer4,
                _ => throw new InputException("--resnet18-layers", $"'{part}' is not a ResNet-18 stage.", "Use a comma-separated list of layer2, layer3, layer4 (or all)."),
            };
        }

        return layers == ResNet18Layers.None
            ? throw new InputException("--resnet18-layers", "no stage given.", "Use a comma-separated list of layer2, layer3, layer4 (or all).")
            : layers;
    }

    /// <summary>Checks the option values; problems are <see cref="InputException"/>s naming the option.</summary>
    public void Validate()
    {
        if ((Layers & ~ResNet18Layers.All) != 0 || Layers == ResNet18Layers.None)
        {
            throw new InputException("--resnet18-layers", $"'{Layers}' is not a set of ResNet-18 stages.", "Use a comma-separated list of layer2, layer3, layer4.");
        }

        if (TileSize < 64 || TileSize % 32 != 0)
        {
            throw new InputException("--tile-size", string.Create(CultureInfo.InvariantCulture, $"expected a multiple of 32 px of at least 64, found {TileSize}."), "Use e.g. 1024.");
        }

        if (Halo < 32 || Halo % 32 != 0)
        {
            throw new InputException("--halo", string.Create(CultureInfo.InvariantCulture, $"expected a multiple of 32 px of at least 32, found {Halo}."), "Use e.g. 256.");
        }

        ArgumentOutOfRangeException.ThrowIfNegative(Threads);
    }

    internal IEnumerable<ResNet18Layers> LayerList()
    {
        foreach (var l in new[] { ResNet18Layers.Layer2, ResNet18Layers.Layer3, ResNet18Layers.Layer4 })
        {
            if ((Layers & l) != 0)
            {
                yield return l;
            }
        }
    }
}
