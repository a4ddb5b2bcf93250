using System.Diagnostics;
using System.Globalization;
using Istar.Imaging;
using Istar.Pipeline;
using TorchSharp;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace Istar.Features.ResNet18;

/// <summary>
/// <c>--features resnet18</c>: ImageNet ResNet-18 (the weights of Microsoft.ML.DnnImageFeaturizer.ResNet18) run fully
/// convolutionally over the slide, one vector per 16-px block: layer2 (128 ch, stride 8, [1 2 1]² filtered to
/// stride 16), layer3 (256 ch, stride 16) and layer4 (512 ch, stride 32, bilinear to stride 16), concatenated in that
/// order. The image goes through in square tiles with a halo of context on every side, so tile seams do not show;
/// with a tissue hint only tiles holding tissue are computed (the rest stay zero). See docs/features-resnet18.md.
/// </summary>
public sealed class ResNet18Extractor : IFeatureExtractor, IDisposable
{
    /// <summary>Version of the feature definition; bump when the output changes for the same weights and options.</summary>
    internal const string Version = "resnet18-v1";

    private const int BlockSize = 16;
    private readonly ResNet18Options _options;
    private readonly ResNet18Files _files;
    private readonly Lock _gate = new();
    private ResNet18Network? _network;
    private ResNet18Preprocessing? _preprocessing;
    private bool _disposed;

    /// <summary>Creates the extractor with default options and the packaged weights.</summary>
    public ResNet18Extractor()
        : this(new ResNet18Options())
    {
    }

    /// <summary>
    /// Creates the extractor. Checks the options and finds the weight files now (an <see cref="Input.InputException"/>
    /// when they are missing), but reads them only on the first <see cref="Extract"/>.
    /// </summary>
    public ResNet18Extractor(ResNet18Options options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _options = options;
        _files = ResNet18Files.Resolve(options.OnnxPath);
    }

    /// <inheritdoc />
    public string Name => "resnet18";

    /// <inheritdoc />
    public string SettingsKey => string.Create(
        CultureInfo.InvariantCulture,
        $"{Version};onnx={_files.Identity};layers={_options.LayerNames};tile={_options.TileSize};halo={_options.Halo}");

    /// <inheritdoc />
    public int Channels => _options.Channels;

    /// <summary>The options in use.</summary>
    public ResNet18Options Options => _options;

    /// <summary>Full path of the ONNX network in use.</summary>
    public string OnnxPath => _files.OnnxPath;

    /// <summary>The channel groups in order, e.g. layer2:128, layer3:256, layer4:512.</summary>
    public IReadOnlyList<ChannelGroup> Groups
    {
        get
        {
            var groups = new List<ChannelGroup>();
            int start = 0;
            foreach (var layer in _options.LayerList())
            {
                int count = LayerChannels(layer);
                groups.Add(new ChannelGroup(layer.ToString().ToLowerInvariant(), start, count));
                start += count;
            }

            return groups;
        }
    }

    /// <inheritdoc />
    public FeatureGrid Extract(ScaledImage image, bool[]? tissueHint, IRunLog log, CancellationToken cancellation)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentNullException.ThrowIfNull(log);
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (image.Width <= 0 || image.Height <= 0 || image.Width % BlockSize != 0 || image.Height % BlockSize != 0)
        {
            throw new ArgumentException($"image size {image.Width} x {image.Height} must be a positive multiple of {BlockSize} px", nameof(image));
        }

        int rows = image.BlockRows;
        int columns = image.BlockColumns;
        if (tissueHint is not null && tissueHint.Length != rows * columns)
        {
            throw new ArgumentException($"tissueHint holds {tissueHint.Length} values for a {rows} x {columns} block grid", nameof(tissueHint));
        }

        var (network, preprocessing) = Network();
        var provenance = new FeatureProvenance(Name, _options.LayerNames, image.MicronsPerPixel, BlockSize, WeightsHash: ResNet18Files.Sha256(_files.OnnxPath), SlideHash: string.Empty)
        {
            Groups = Groups,
        };
        var grid = FeatureGrid.Allocate(rows, columns, Channels, provenance);
        int previousThreads = torch.get_num_threads();
        try
        {
            if (_options.Threads > 0)
            {
                torch.set_num_threads(_options.Threads);
            }

            var tiles = Tiles(rows, columns, tissueHint);
            var clock = Stopwatch.StartNew();
            long pixels = 0;
            using (var progress = log.Begin("features", "resnet18 tiles", tiles.Count))
            {
                using var blur = BlurKernel();
                foreach (var tile in tiles)
                {
                    cancellation.ThrowIfCancellationRequested();
                    pixels += RunTile(network, preprocessing, blur, image, tile, grid);
                    progress.Advance();
                }
            }

            double seconds = Math.Max(clock.Elapsed.TotalSeconds, 1e-9);
            log.Info(string.Create(CultureInfo.InvariantCulture, $"[features] resnet18: {tiles.Count} tiles of {_options.TileSize} px (+{_options.Halo} halo), {_options.LayerNames}, {Channels} channels, {image.Width * (double)image.Height / 1e6 / seconds:F2} Mpx/s ({pixels / 1e6 / seconds:F2} Mpx/s through the network)"));
            return grid;
        }
        catch
        {
            grid.Dispose();
            throw;
        }
        finally
        {
            if (_options.Threads > 0)
            {
                torch.set_num_threads(previousThreads);
            }
        }
    }

    /// <summary>The loaded network and preprocessing (read once per extractor).</summary>
    internal (ResNet18Network Network, ResNet18Preprocessing Preprocessing) Network()
    {
        lock (_gate)
        {
            if (_network is null || _preprocessing is null)
            {
                _preprocessing = ResNet18Preprocessing.Load(_files.PreprocessPath);
                _network = new ResNet18Network(ResNet18Weights.Load(_files.OnnxPath));
            }

            return (_network, _preprocessing);
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        lock (_gate)
        {
            _disposed = true;
            _network?.Dispose();
            _network = null;
        }
    }

    /// <summary>The tiles (block ranges) to run, in row-major order; with a hint only those holding a tissue block.</summary>
    internal List<(int Row, int Column, int Rows, int Columns)> Tiles(int rows, int columns, bool[]? tissueHint)
    {
        int step = _options.TileSize / BlockSize;
        var tiles = new List<(int, int, int, int)>();
        for (int r0 = 0; r0 < rows; r0 += step)
        {
            for (int c0 = 0; c0 < columns; c0 += step)
            {
                int nr = Math.Min(step, rows - r0);
                int nc = Math.Min(step, columns - c0);
                if (tissueHint is null || AnyTissue(tissueHint, columns, r0, c0, nr, nc))
                {
                    tiles.Add((r0, c0, nr, nc));
                }
            }
        }

        return tiles;
    }

    /// <summary>
    /// Converts an RGB window to the network input: B, G, R planes (as ResNetPreprocess.onnx orders them) minus the
    /// per-channel mean; pixels outside the image are white, like the slide's own padding.
    /// </summary>
    internal static float[] InputWindow(ScaledImage image, ResNet18Preprocessing preprocessing, int originY, int originX, int height, int width)
    {
        var lut = new float[3][];
        for (int c = 0; c < 3; c++)
        {
            lut[c] = new float[256];
            for (int v = 0; v < 256; v++)
            {
                lut[c][v] = v - preprocessing.ChannelMean[c];
            }
        }

        // Network channel c reads RGB component rgbOf[c].
        int[] rgbOf = preprocessing.ReversesChannels ? [2, 1, 0] : [0, 1, 2];
        int plane = height * width;
        var data = new float[3 * plane];
        for (int c = 0; c < 3; c++)
        {
            Array.Fill(data, lut[c][255], c * plane, plane);
        }

        int x0 = Math.Max(0, originX);
        int x1 = Math.Min(image.Width, originX + width);
        for (int y = Math.Max(0, originY); y < Math.Min(image.Height, originY + height); y++)
        {
            var row = image.ReadRows(y, 1);
            int at = (y - originY) * width;
            for (int c = 0; c < 3; c++)
            {
                float[] table = lut[c];
                int component = rgbOf[c];
                int offset = (c * plane) + at - originX;
                for (int x = x0; x < x1; x++)
                {
                    data[offset + x] = table[row[(3 * x) + component]];
                }
            }
        }

        return data;
    }

    private static int LayerChannels(ResNet18Layers layer) => layer switch
    {
        ResNet18Layers.Layer2 => 128,
        ResNet18Layers.Layer3 => 256,
        ResNet18Layers.Layer4 => 512,
        _ => throw new ArgumentOutOfRangeException(nameof(layer)),
    };

    private static bool AnyTissue(bool[] hint, int columns, int r0, int c0, int nr, int nc)
    {
        for (int r = r0; r < r0 + nr; r++)
        {
            if (Array.IndexOf(hint, true, (r * columns) + c0, nc) >= 0)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Depthwise [1 2 1]ᵀ[1 2 1] / 16 for 128 channels: stride-8 layer2 → stride 16, centred like layer3.</summary>
    private static Tensor BlurKernel()
    {
        float[] k = [1, 2, 1];
        var w = new float[128 * 9];
        for (int c = 0; c < 128; c++)
        {
            for (int i = 0; i < 3; i++)
            {
                for (int j = 0; j < 3; j++)
                {
                    w[(c * 9) + (i * 3) + j] = k[i] * k[j] / 16f;
                }
            }
        }

        return tensor(w, [128, 1, 3, 3]);
    }

    /// <summary>
    /// Runs one tile. The network input starts at (core − halo + 8) px so that layer3 cell j' is centred on pixel
    /// 16·j' + 8 of the image (the middle of its block); returns the pixels processed.
    /// </summary>
    private long RunTile(ResNet18Network network, ResNet18Preprocessing preprocessing, Tensor blur, ScaledImage image, (int Row, int Column, int Rows, int Columns) tile, FeatureGrid grid)
    {
        int halo = _options.Halo;
        int coreH = RoundUp(tile.Rows * BlockSize, 32);
        int coreW = RoundUp(tile.Columns * BlockSize, 32);
        int inH = coreH + (2 * halo);
        int inW = coreW + (2 * halo);
        int originY = (tile.Row * BlockSize) - halo + 8;
        int originX = (tile.Column * BlockSize) - halo + 8;
        float[] input = InputWindow(image, preprocessing, originY, originX, inH, inW);

        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var x = tensor(input, [1, 3, inH, inW]);
        bool l4 = (_options.Layers & ResNet18Layers.Layer4) != 0;
        bool l3 = (_options.Layers & ResNet18Layers.Layer3) != 0;
        var stages = network.Stages(x, l4 ? 4 : l3 ? 3 : 2);
        long first = halo / BlockSize;
        var parts = new List<Tensor>();
        foreach (var layer in _options.LayerList())
        {
            Tensor atStride16 = layer switch
            {
                ResNet18Layers.Layer2 => F.conv2d(stages[1], blur, strides: [2, 2], padding: [1, 1], groups: 128),
                ResNet18Layers.Layer3 => stages[2],
                _ => F.interpolate(stages[3], size: [(2 * stages[3].shape[2]) - 1, (2 * stages[3].shape[3]) - 1], mode: InterpolationMode.Bilinear, align_corners: true),
            };
            parts.Add(atStride16[0, .., TensorIndex.Slice(first, first + tile.Rows), TensorIndex.Slice(first, first + tile.Columns)]);
        }

        var features = cat(parts, 0).permute(1, 2, 0).contiguous();
        float[] values = features.data<float>().ToArray();
        int channels = Channels;
        int rowLength = tile.Columns * channels;
        for (int r = 0; r < tile.Rows; r++)
        {
            values.AsSpan(r * rowLength, rowLength).CopyTo(grid.BlockRow(tile.Row + r).Slice(tile.Column * channels, rowLength));
        }

        return (long)inH * inW;
    }

    private static int RoundUp(int value, int multiple) => (value + multiple - 1) / multiple * multiple;
}
